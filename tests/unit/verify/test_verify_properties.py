"""Properties of the verifiers: tampering always fails, and nothing but VerificationError escapes.

Real keys (the session's Ed25519 and 2048-bit Paillier keys); hypothesis generates the
mutations and the junk. What a property cannot reach exhaustively, tests/security/ tries
exhaustively (every single-bit flip of a token).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import VerificationError
from gateway.sign import RECEIPT_TYP, SUBMISSION_TYP, build_jwks, sign_receipt
from gateway.verify import verify_receipt, verify_submission
from tests.support import sample_receipt

NOW = 1_767_225_600
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RECEIPT = sample_receipt({"seq": 6, "hash": "7e" * 32})
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.text(max_size=12)
)
SAFE_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.text(max_size=12),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=12,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=12,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*path, k))] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))] or [path]
    return [path]


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    out = copy.deepcopy(value)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return out


def _verify_both(token: str, signing_key: SigningKey, paillier: PaillierPublicKey) -> None:
    """Both verifiers must refuse ``token`` with VerificationError and nothing else."""
    jwks = build_jwks([signing_key])
    with pytest.raises(VerificationError):
        verify_submission(token, jwks, paillier, now=NOW)
    with pytest.raises(VerificationError):
        verify_receipt(token, jwks, now=NOW)


@PROPERTY
@given(data=st.data())
def test_any_change_to_a_signed_payload_fails_verification(
    data: st.DataObject, signing_key: SigningKey, paillier_public_key: PaillierPublicKey
) -> None:
    token = sign_receipt(RECEIPT, signing_key)
    header, _, signature = token.split(".")
    path = data.draw(st.sampled_from(_leaf_paths(RECEIPT)))
    new = data.draw(SAFE_VALUES)
    changed = _replace(RECEIPT, path, new)
    body = canonical_json(changed)
    if body == canonical_json(RECEIPT):
        return  # the drawn value equals the old one (e.g. 2 for 2)
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify_receipt(f"{header}.{_b64(body)}.{signature}", build_jwks([signing_key]), now=NOW)


@PROPERTY
@given(
    position=st.integers(min_value=0),
    edit=st.sampled_from(["replace", "insert", "delete"]),
    byte=st.integers(min_value=0, max_value=255),
)
def test_any_byte_edit_of_the_signed_payload_bytes_fails_verification(
    signing_key: SigningKey, position: int, edit: str, byte: int
) -> None:
    token = sign_receipt(RECEIPT, signing_key)
    header, _, signature = token.split(".")
    body = bytearray(canonical_json(RECEIPT))
    at = position % len(body)
    if edit == "replace":
        if body[at] == byte:
            byte ^= 0x01
        body[at] = byte
    elif edit == "insert":
        body.insert(at, byte)
    else:
        del body[at]
    with pytest.raises(VerificationError):
        verify_receipt(
            f"{header}.{_b64(bytes(body))}.{signature}", build_jwks([signing_key]), now=NOW
        )


@PROPERTY
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_single_bit_flip_of_a_token_is_refused(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey, position: int, bit: int
) -> None:
    raw = bytearray(sign_receipt(RECEIPT, signing_key).encode("ascii"))
    raw[position % len(raw)] ^= 1 << bit
    _verify_both(raw.decode("latin-1"), signing_key, paillier_public_key)


@PROPERTY
@given(text=st.text(max_size=400) | st.text(alphabet="AQgw_-.=eyJ ", max_size=400))
def test_arbitrary_text_raises_only_verification_error(
    text: str, signing_key: SigningKey, paillier_public_key: PaillierPublicKey
) -> None:
    _verify_both(text, signing_key, paillier_public_key)


@PROPERTY
@given(
    header_extra=st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=3),
    header_overrides=st.fixed_dictionaries(
        {},
        optional={"alg": JSON_VALUES, "kid": JSON_VALUES, "typ": JSON_VALUES},
    ),
    signature=st.binary(min_size=0, max_size=80),
    payload=JSON_VALUES,
)
def test_arbitrary_headers_and_signatures_raise_only_verification_error(
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    header_extra: dict[str, Any],
    header_overrides: dict[str, Any],
    signature: bytes,
    payload: Any,
) -> None:
    header = {"alg": "EdDSA", "kid": signing_key.kid, "typ": SUBMISSION_TYP}
    header.update(header_extra)
    header.update(header_overrides)
    body = json.dumps(payload).encode()
    _verify_both(
        f"{_b64(json.dumps(header).encode())}.{_b64(body)}.{_b64(signature)}",
        signing_key,
        paillier_public_key,
    )


SIGNED_JSON = st.recursive(
    JSON_SCALARS
    | st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)
    | st.integers(min_value=10**60, max_value=10**80)
    | st.floats(allow_nan=False),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=12,
)


@PROPERTY
@given(
    base=st.sampled_from(["receipt", "object"]),
    member=st.text(max_size=8),
    value=SIGNED_JSON,
    typ=st.sampled_from([SUBMISSION_TYP, RECEIPT_TYP]),
)
def test_arbitrary_json_signed_by_a_trusted_key_raises_only_verification_error(
    signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey,
    base: str,
    member: str,
    value: Any,
    typ: str,
) -> None:
    """Signature-valid tokens whose payload is any JSON: the payload checks must refuse it."""
    document = {**RECEIPT, member: value} if base == "receipt" else value
    body = json.dumps(document).encode()  # ASCII: surrogates are \u-escaped
    header = _b64(json.dumps({"alg": "EdDSA", "kid": signing_key.kid, "typ": typ}).encode())
    signing_input = f"{header}.{_b64(body)}"
    signature = _b64(signing_key.jws_key().sign(signing_input.encode("ascii")))
    jwks = build_jwks([signing_key])
    with contextlib.suppress(VerificationError):
        verify_submission(f"{signing_input}.{signature}", jwks, paillier_public_key, now=NOW)
    with contextlib.suppress(VerificationError):
        verify_receipt(f"{signing_input}.{signature}", jwks, now=NOW)

"""Releases: the k rule (pure), the signed release, and every refusal of ``verify_release``.

Real keys: an Ed25519 hub key generated here, the session's 2048-bit Paillier keypair (the
tests hold the insurer's private half to check what a release decrypts to). Attack tokens are
really signed with the hub's key (``forge_jws``) when the test is about the content, so the
refusal is for the content, not for a broken signature.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from gateway.canonical import canonical_json
from gateway.crypto import (
    PaillierPrivateKey,
    PaillierPublicKey,
    SigningKey,
    decode_ciphertext,
    encrypt_bucket_totals,
    generate_signing_key,
)
from gateway.crypto.ciphertext import encode_ciphertext
from gateway.errors import CryptoError, VerificationError
from gateway.hub.contribution import BucketKey
from gateway.hub.release import (
    RELEASE_TYP,
    BucketTotal,
    PeriodState,
    build_release,
    plan_release,
    verify_release,
)
from gateway.sign import build_jwks
from tests.support import jws_payload
from tests.unit.hub.hub_support import HUB_ID, INSURER_ID, NOW, PERIOD, bk

SHAS = tuple(f"{i:02x}" * 32 for i in range(1, 6))


def total(key: BucketKey, *exporters: str, ciphertext: int = 7) -> BucketTotal:
    return BucketTotal(key, ciphertext, frozenset(exporters))


# -- the k rule --------------------------------------------------------------------------------


def test_a_bucket_with_exactly_k_exporters_is_released_alone_and_k_minus_one_is_not() -> None:
    at_k = total(bk("B1"), "e1", "e2", "e3")
    below = total(bk("B2"), "e1", "e2")
    plan = plan_release([below, at_k], 3)
    assert [b.key for b in plan.buckets] == [at_k.key]
    assert below.key not in {b.key for b in plan.buckets}


def test_small_buckets_fold_into_a_remainder_counted_by_distinct_exporters() -> None:
    folded = [total(bk("B1"), "e1", "e2"), total(bk("B2"), "e2", "e3")]
    plan = plan_release(folded, 3)
    assert plan.buckets == ()
    [remainder] = plan.remainders
    assert (remainder.country, remainder.currency) == ("DE", "EUR")
    assert remainder.contributors == 3  # e1, e2, e3: e2 counted once
    assert {b.key for b in remainder.folded} == {bk("B1"), bk("B2")}
    assert plan.suppressed_buckets == 0


def test_a_remainder_whose_distinct_exporters_stay_below_k_is_suppressed() -> None:
    """Four buckets, four exporter slots, but only two distinct exporters: nothing goes out."""
    folded = [total(bk(f"B{i}"), "e1", "e2") for i in range(4)]
    plan = plan_release(folded, 3)
    assert plan.buckets == () and plan.remainders == ()
    assert plan.suppressed_buckets == 4


def test_remainders_are_per_country_and_currency_and_never_mix_them() -> None:
    buckets = [
        total(bk("B1", "DE", "EUR"), "e1", "e2"),
        total(bk("B2", "DE", "USD"), "e3"),
        total(bk("B3", "FR", "EUR"), "e4"),
        total(bk("B4", "DE", "EUR"), "e3"),
    ]
    plan = plan_release(buckets, 3)
    [remainder] = plan.remainders
    assert (remainder.country, remainder.currency, remainder.contributors) == ("DE", "EUR", 3)
    assert plan.suppressed_buckets == 2  # DE/USD and FR/EUR, one exporter each


def test_maturity_months_of_one_country_and_currency_fold_together() -> None:
    buckets = [total(bk("B1", month=m), f"e{i}") for i, m in enumerate(("2026-07", "2026-08",
                                                                         "2026-09"))]
    plan = plan_release(buckets, 3)
    assert [len(r.folded) for r in plan.remainders] == [3]


@pytest.mark.parametrize("k", [1, 0, -3, True])
def test_k_below_two_is_refused(k: int) -> None:
    with pytest.raises(CryptoError, match="k must be"):
        plan_release([total(bk("B1"), "e1")], k)


# -- build and verify --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def hub_jwks(hub_key: SigningKey) -> dict[str, Any]:
    return build_jwks([hub_key])


def encrypted(paillier: PaillierPublicKey, *values: int) -> list[int]:
    return [decode_ciphertext(paillier, c) for c in encrypt_bucket_totals(paillier, list(values))]


@pytest.fixture(scope="module")
def state(paillier_public_key: PaillierPublicKey) -> PeriodState:
    """B1 (3 exporters) and B2 (4) alone; B3 + B4 fold into DE/EUR (3 distinct); B5 (US/USD,
    1 exporter) is suppressed."""
    c = encrypted(paillier_public_key, 1_000_000, 2_500_075, 40_000, 60_001, 999)
    return PeriodState(
        PERIOD,
        (
            total(bk("B1"), "e1", "e2", "e3", ciphertext=c[0]),
            total(bk("B2"), "e1", "e2", "e3", "e4", ciphertext=c[1]),
            total(bk("B3"), "e1", "e2", ciphertext=c[2]),
            total(bk("B4"), "e2", "e5", ciphertext=c[3]),
            total(bk("B5", "US", "USD"), "e4", ciphertext=c[4]),
        ),
        SHAS,
    )


def build(state: PeriodState, key: SigningKey, paillier: PaillierPublicKey, k: int = 3) -> str:
    return build_release(
        state, hub_id=HUB_ID, insurer_id=INSURER_ID, k=k, paillier=paillier, key=key, now=NOW
    ).jws


def verify(jws: str, jwks: dict[str, Any], paillier: PaillierPublicKey, **kw: Any) -> Any:
    args: dict[str, Any] = {"insurer_id": INSURER_ID, "now": NOW, "hub_id": HUB_ID}
    args.update(kw)
    return verify_release(jws, hub_jwks=jwks, paillier=paillier, **args)


def test_a_release_verifies_and_decrypts_to_the_plaintext_sums(
    state: PeriodState, hub_key: SigningKey, hub_jwks: dict[str, Any],
    paillier_keypair: PaillierPrivateKey,
) -> None:
    jws = build(state, hub_key, paillier_keypair.public_key)
    release = verify(jws, hub_jwks, paillier_keypair.public_key)
    decrypt = paillier_keypair.decrypt
    assert {b.key: (b.contributors, decrypt(b.ciphertext)) for b in release.buckets} == {
        bk("B1"): (3, 1_000_000), bk("B2"): (4, 2_500_075)
    }
    [remainder] = release.remainders
    assert (remainder.country, remainder.currency, remainder.contributors, remainder.buckets) == (
        "DE", "EUR", 3, 2)
    assert decrypt(remainder.ciphertext) == 40_000 + 60_001
    assert release.suppressed_buckets == 1
    assert release.contributions == SHAS
    assert (release.period, release.k, release.hub_id, release.insurer_id) == (
        PERIOD, 3, HUB_ID, INSURER_ID)


def test_an_empty_period_cannot_be_released(
    hub_key: SigningKey, paillier_public_key: PaillierPublicKey
) -> None:
    with pytest.raises(CryptoError, match="no contribution"):
        build(PeriodState(PERIOD, (), ()), hub_key, paillier_public_key)


def test_the_release_is_signed_with_the_release_typ(
    state: PeriodState, hub_key: SigningKey, paillier_public_key: PaillierPublicKey
) -> None:
    header = json.loads(base64.urlsafe_b64decode(build(state, hub_key, paillier_public_key)
                                                 .split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "kid": hub_key.kid, "typ": RELEASE_TYP}


# -- refusals ----------------------------------------------------------------------------------


@pytest.fixture
def payload(
    state: PeriodState, hub_key: SigningKey, paillier_public_key: PaillierPublicKey
) -> dict[str, Any]:
    return jws_payload(build(state, hub_key, paillier_public_key))


def resign(forge_jws: Callable[..., str], key: SigningKey, payload: dict[str, Any],
           typ: str = RELEASE_TYP) -> str:
    header = {"alg": "EdDSA", "kid": key.kid, "typ": typ}
    return str(forge_jws(header, canonical_json(payload), key))


def test_a_release_signed_by_another_key_is_refused(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_jwks: dict[str, Any],
    paillier_public_key: PaillierPublicKey, hub_key: SigningKey,
) -> None:
    intruder = generate_signing_key()
    with pytest.raises(VerificationError, match="kid is not in the given JWKS"):
        verify(resign(forge_jws, intruder, payload), hub_jwks, paillier_public_key)
    # ... and with the hub's kid but the intruder's signature
    header = {"alg": "EdDSA", "kid": hub_key.kid, "typ": RELEASE_TYP}
    forged = forge_jws(header, canonical_json(payload), intruder)
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify(forged, hub_jwks, paillier_public_key)


def test_alg_none_is_refused(
    payload: dict[str, Any], hub_key: SigningKey, hub_jwks: dict[str, Any],
    paillier_public_key: PaillierPublicKey,
) -> None:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"alg": "none", "kid": hub_key.kid, "typ": RELEASE_TYP}
    token = f"{b64(json.dumps(header).encode())}.{b64(canonical_json(payload))}.{b64(b'x' * 64)}"
    with pytest.raises(VerificationError, match="only EdDSA"):
        verify(token, hub_jwks, paillier_public_key)


def test_a_release_for_another_insurer_is_refused(
    state: PeriodState, hub_key: SigningKey, hub_jwks: dict[str, Any],
    paillier_public_key: PaillierPublicKey,
) -> None:
    jws = build(state, hub_key, paillier_public_key)
    with pytest.raises(VerificationError, match="aud does not equal"):
        verify(jws, hub_jwks, paillier_public_key, insurer_id="insurer-other")
    with pytest.raises(VerificationError, match="iss does not equal"):
        verify(jws, hub_jwks, paillier_public_key, hub_id="hub-other")


@pytest.mark.parametrize("where", ["buckets", "remainders"])
def test_contributors_below_k_edited_in_and_resigned_are_refused(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_key: SigningKey,
    hub_jwks: dict[str, Any], paillier_public_key: PaillierPublicKey, where: str,
) -> None:
    payload[where][0]["contributors"] = 2
    with pytest.raises(VerificationError, match="fewer than k contributors"):
        verify(resign(forge_jws, hub_key, payload), hub_jwks, paillier_public_key)


@pytest.mark.parametrize("k", [1, 0])
def test_k_lowered_below_two_is_refused(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_key: SigningKey,
    hub_jwks: dict[str, Any], paillier_public_key: PaillierPublicKey, k: int,
) -> None:
    payload["k"] = k
    with pytest.raises(VerificationError, match="k: Input should be greater than or equal to 2"):
        verify(resign(forge_jws, hub_key, payload), hub_jwks, paillier_public_key)


def test_more_contributors_than_contributions_is_refused(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_key: SigningKey,
    hub_jwks: dict[str, Any], paillier_public_key: PaillierPublicKey,
) -> None:
    payload["contributions"] = payload["contributions"][:2]
    with pytest.raises(VerificationError, match="more contributors than contributions"):
        verify(resign(forge_jws, hub_key, payload), hub_jwks, paillier_public_key)


def test_a_tampered_ciphertext_breaks_the_signature(
    state: PeriodState, hub_key: SigningKey, hub_jwks: dict[str, Any],
    paillier_public_key: PaillierPublicKey,
) -> None:
    header, body, signature = build(state, hub_key, paillier_public_key).split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    other = encrypt_bucket_totals(paillier_public_key, [5])[0]
    payload["buckets"][0]["ciphertext"] = other
    swapped = base64.urlsafe_b64encode(canonical_json(payload)).rstrip(b"=").decode()
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify(f"{header}.{swapped}.{signature}", hub_jwks, paillier_public_key)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (lambda n: 1 + n, "not obfuscated"),
        (lambda n: n * n + 5, "out of range"),
        (lambda n: n * 3, "shares a factor with n"),
    ],
    ids=["unobfuscated", "beyond_n_squared", "factor_of_n"],
)
def test_an_invalid_ciphertext_resigned_by_the_hub_is_refused(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_key: SigningKey,
    hub_jwks: dict[str, Any], paillier_public_key: PaillierPublicKey,
    value: Callable[[int], int], reason: str,
) -> None:
    n = paillier_public_key.n
    raw = value(n)
    size = max(paillier_public_key.ciphertext_bytes, (raw.bit_length() + 7) // 8)
    payload["remainders"][0]["ciphertext"] = (
        base64.urlsafe_b64encode(raw.to_bytes(size, "big")).rstrip(b"=").decode())
    with pytest.raises(VerificationError, match=reason):
        verify(resign(forge_jws, hub_key, payload), hub_jwks, paillier_public_key)


def test_a_release_under_another_paillier_key_is_refused(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_key: SigningKey,
    hub_jwks: dict[str, Any], paillier_public_key: PaillierPublicKey,
) -> None:
    payload["paillier"]["fingerprint"] = "sha256:" + "0" * 64
    with pytest.raises(VerificationError, match="fingerprint does not match"):
        verify(resign(forge_jws, hub_key, payload), hub_jwks, paillier_public_key)


def test_a_contribution_typ_is_not_a_release(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_key: SigningKey,
    hub_jwks: dict[str, Any], paillier_public_key: PaillierPublicKey,
) -> None:
    token = resign(forge_jws, hub_key, payload, typ="ecg-contribution+jws")
    with pytest.raises(VerificationError, match="typ must be"):
        verify(token, hub_jwks, paillier_public_key)


@pytest.mark.parametrize("where", ["buckets", "remainders"])
def test_unsorted_or_duplicate_entries_are_refused(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_key: SigningKey,
    hub_jwks: dict[str, Any], paillier_public_key: PaillierPublicKey, where: str,
) -> None:
    payload[where] = [payload[where][0], payload[where][0]]
    with pytest.raises(VerificationError, match="sorted and unique"):
        verify(resign(forge_jws, hub_key, payload), hub_jwks, paillier_public_key)


def test_a_release_from_the_future_is_refused(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_key: SigningKey,
    hub_jwks: dict[str, Any], paillier_public_key: PaillierPublicKey,
) -> None:
    payload["iat"] = NOW + 3600
    with pytest.raises(VerificationError, match="in the future"):
        verify(resign(forge_jws, hub_key, payload), hub_jwks, paillier_public_key)


def test_a_fixed_length_ciphertext_is_required(
    payload: dict[str, Any], forge_jws: Callable[..., str], hub_key: SigningKey,
    hub_jwks: dict[str, Any], paillier_public_key: PaillierPublicKey,
) -> None:
    """The same integer without its leading zero bytes is another wire form: refused."""
    value = decode_ciphertext(paillier_public_key, payload["buckets"][0]["ciphertext"])
    short = value.to_bytes((value.bit_length() + 7) // 8, "big")
    if len(short) == paillier_public_key.ciphertext_bytes:  # pad the other way instead
        short = b"\x00" + short
    payload["buckets"][0]["ciphertext"] = base64.urlsafe_b64encode(short).rstrip(b"=").decode()
    assert payload["buckets"][0]["ciphertext"] != encode_ciphertext(paillier_public_key, value)
    with pytest.raises(VerificationError, match="ciphertext"):
        verify(resign(forge_jws, hub_key, payload), hub_jwks, paillier_public_key)

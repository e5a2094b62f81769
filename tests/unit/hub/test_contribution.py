"""Contributions (exporter → hub): build and verify with real keys, and every refusal.

Real Ed25519 keys, the session's 2048-bit Paillier keypair and a second real Paillier key for the
"other insurer" case. Attack tokens are really signed (``forge_jws``), so a refusal is for the
token's content, not for a broken signature, unless the test is about the signature. Every
refusal is a ``VerificationError`` whose text holds none of the token's values.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from gateway.canonical import canonical_json, sha256_hex
from gateway.crypto import (
    PaillierPrivateKey,
    PaillierPublicKey,
    SigningKey,
    add_ciphertexts,
    encrypt_bucket_totals,
    generate_paillier_keypair,
    generate_signing_key,
)
from gateway.crypto.ciphertext import encode_ciphertext
from gateway.errors import CryptoError, VerificationError
from gateway.hub.contribution import (
    CONTRIBUTION_TYP,
    BucketKey,
    book_totals,
    build_contribution,
    verify_contribution,
)
from gateway.sign import build_jwks, sign_submission
from gateway.store.base import HubBookEntry

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
HUB = "hub-eu-1"
EXPORTER = "exporter-a"
OTHER = "exporter-b"
CP = "cp:p1.csk-20260101-a1b2c3." + "A" * 22
TOTALS = {
    BucketKey("ic:DE-1180442", "DE", "EUR", "2026-04"): 8_562_081,
    BucketKey(CP, "JP", "JPY", "2026-05"): 10_565_319,
    BucketKey("ic:BR-0310077", "BR", "USD", "2026-04"): 7_907_064,
}
#: Strings that must never appear in a refusal's text.
VALUES = ("DE-1180442", "BR-0310077", "csk-20260101", "wrong-hub", "2026-04")


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def other_insurer() -> PaillierPrivateKey:
    return generate_paillier_keypair(2048)


@pytest.fixture
def registry(signing_key: SigningKey, other_key: SigningKey) -> dict[str, Any]:
    return {EXPORTER: build_jwks([signing_key]), OTHER: build_jwks([other_key])}


def _build(key: SigningKey, paillier: PaillierPublicKey, **kw: Any) -> str:
    args: dict[str, Any] = {"exporter_id": EXPORTER, "hub_id": HUB, "period": "2026-03"}
    args.update(kw)
    return build_contribution(
        args["exporter_id"], args["hub_id"], args["period"], args.get("totals", TOTALS),
        paillier, key, now=args.get("now", NOW),
    )


def _payload(paillier: PaillierPublicKey, **changes: Any) -> dict[str, Any]:
    """A valid contribution payload (sorted buckets) with ``changes`` applied."""
    keys = sorted(TOTALS)
    cts = encrypt_bucket_totals(paillier, [TOTALS[k] for k in keys])
    payload: dict[str, Any] = {
        "schema": "ecg.contribution/1", "iss": EXPORTER, "aud": HUB, "iat": NOW,
        "jti": "ctb_" + "ab" * 16, "period": "2026-03",
        "paillier": {"fingerprint": paillier.fingerprint},
        "buckets": [
            {"buyer": k.buyer, "country": k.country, "currency": k.currency,
             "maturity_month": k.maturity_month, "ciphertext": ct}
            for k, ct in zip(keys, cts, strict=True)
        ],
    }
    payload.update(changes)
    return payload


def _header(key: SigningKey, **changes: Any) -> dict[str, Any]:
    return {"alg": "EdDSA", "kid": key.kid, "typ": CONTRIBUTION_TYP, **changes}


def _refused(
    jws: str, jwks: Any, paillier: PaillierPublicKey, match: str, **kw: Any
) -> VerificationError:
    args: dict[str, Any] = {"hub_id": HUB, "now": NOW, **kw}
    with pytest.raises(VerificationError, match=match) as caught:
        verify_contribution(jws, jwks=jwks, paillier=paillier, **args)
    text = str(caught.value) + caught.value.diagnostics()
    for value in VALUES:
        assert value not in text
    return caught.value


# -- round trip ---------------------------------------------------------------------------------


def test_a_contribution_verifies_and_its_ciphertexts_decrypt_to_the_totals(
    signing_key: SigningKey, paillier_keypair: PaillierPrivateKey, registry: dict[str, Any]
) -> None:
    public = paillier_keypair.public_key
    jws = _build(signing_key, public)
    got = verify_contribution(jws, jwks=registry, hub_id=HUB, paillier=public, now=NOW)
    assert (got.exporter_id, got.period, got.kid) == (EXPORTER, "2026-03", signing_key.kid)
    assert got.jti.startswith("ctb_") and len(got.jti) == 36
    assert got.sha256 == sha256_hex(jws.encode("ascii"))
    assert [k for k, _ in got.buckets] == sorted(TOTALS)
    decrypted = {k: paillier_keypair.decrypt(encode_ciphertext(public, c)) for k, c in got.buckets}
    assert decrypted == TOTALS


def test_the_signed_payload_holds_no_plaintext_total(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey
) -> None:
    body = _build(signing_key, paillier_public_key).split(".")[1]
    text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    assert json.loads(text)["paillier"] == {"fingerprint": paillier_public_key.fingerprint}
    for total in TOTALS.values():
        assert str(total) not in text


def test_two_exporters_contributions_add_up_under_the_insurer_key(
    signing_key: SigningKey, other_key: SigningKey, paillier_keypair: PaillierPrivateKey,
    registry: dict[str, Any],
) -> None:
    public = paillier_keypair.public_key
    bucket = BucketKey("ic:DE-1180442", "DE", "EUR", "2026-04")
    mine = _build(signing_key, public, totals={bucket: 1_000})
    theirs = _build(other_key, public, exporter_id=OTHER, totals={bucket: 2_345})
    cts = [
        encode_ciphertext(public, verify_contribution(
            jws, jwks=registry, hub_id=HUB, paillier=public, now=NOW
        ).buckets[0][1])
        for jws in (mine, theirs)
    ]
    assert paillier_keypair.decrypt(add_ciphertexts(public, cts)) == 3_345


def test_one_exporters_jwks_works_with_its_issuer(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey
) -> None:
    jws = _build(signing_key, paillier_public_key)
    jwks = build_jwks([signing_key])
    got = verify_contribution(
        jws, jwks=jwks, hub_id=HUB, paillier=paillier_public_key, now=NOW, issuer=EXPORTER
    )
    assert got.exporter_id == EXPORTER
    _refused(jws, jwks, paillier_public_key, "iss does not equal", issuer=OTHER)


# -- signature, header and key ------------------------------------------------------------------


def test_a_tampered_payload_is_refused(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey, registry: dict[str, Any]
) -> None:
    head, body, sig = _build(signing_key, paillier_public_key).split(".")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    changed = raw.replace(b'"2026-03"', b'"2026-02"')
    assert changed != raw
    forged_body = base64.urlsafe_b64encode(changed).rstrip(b"=").decode()
    _refused(f"{head}.{forged_body}.{sig}", registry, paillier_public_key, "does not verify")


def test_another_typ_is_refused(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey, registry: dict[str, Any],
    forge_jws: Callable[..., str], submission_payload: dict[str, Any],
) -> None:
    payload = canonical_json(_payload(paillier_public_key))
    jws = forge_jws(_header(signing_key, typ="ecg-submission+jws"), payload)
    _refused(jws, registry, paillier_public_key, "typ must be")
    submission = sign_submission(submission_payload, signing_key)
    _refused(submission, registry, paillier_public_key, "typ must be")


def test_alg_none_is_refused(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey, registry: dict[str, Any],
    forge_jws: Callable[..., str],
) -> None:
    jws = forge_jws(_header(signing_key, alg="none"), canonical_json(_payload(paillier_public_key)))
    _refused(jws, registry, paillier_public_key, "only EdDSA")


def test_an_unknown_kid_is_refused(
    paillier_public_key: PaillierPublicKey, registry: dict[str, Any]
) -> None:
    stranger = generate_signing_key()
    jws = _build(stranger, paillier_public_key)
    _refused(jws, registry, paillier_public_key, "unknown signing")


def test_a_kid_registered_for_two_exporters_is_refused(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey
) -> None:
    shared = {EXPORTER: build_jwks([signing_key]), OTHER: build_jwks([signing_key])}
    _refused(_build(signing_key, paillier_public_key), shared, paillier_public_key, "more than one")


def test_an_exporter_cannot_contribute_in_another_exporters_name(
    other_key: SigningKey, paillier_public_key: PaillierPublicKey, registry: dict[str, Any]
) -> None:
    """exporter-b's key signs a payload whose iss is exporter-a."""
    jws = _build(other_key, paillier_public_key, exporter_id=EXPORTER)
    _refused(jws, registry, paillier_public_key, "not the exporter whose key signed")


# -- claims -------------------------------------------------------------------------------------


def test_another_hubs_audience_is_refused(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey, registry: dict[str, Any]
) -> None:
    jws = _build(signing_key, paillier_public_key, hub_id="wrong-hub")
    _refused(jws, registry, paillier_public_key, "aud does not equal")


def test_a_stale_or_future_iat_is_refused(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey, registry: dict[str, Any]
) -> None:
    jws = _build(signing_key, paillier_public_key)
    verify_contribution(  # exactly max_age_s old still passes
        jws, jwks=registry, hub_id=HUB, paillier=paillier_public_key, now=NOW + 3600,
        max_age_s=3600,
    )
    _refused(jws, registry, paillier_public_key, "stale", now=NOW + 3601, max_age_s=3600)
    _refused(jws, registry, paillier_public_key, "stale", now=NOW + 86_401)
    _refused(jws, registry, paillier_public_key, "in the future", now=NOW - 301)


# -- Paillier key and ciphertexts ---------------------------------------------------------------


def test_ciphertexts_under_another_insurers_key_are_refused(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey,
    other_insurer: PaillierPrivateKey, registry: dict[str, Any],
) -> None:
    jws = _build(signing_key, other_insurer.public_key)
    _refused(jws, registry, paillier_public_key, "fingerprint does not match")


@pytest.mark.parametrize("which", ["zero", "n", "n_squared", "unobfuscated", "short"])
def test_an_invalid_ciphertext_is_refused(
    which: str, signing_key: SigningKey, paillier_public_key: PaillierPublicKey,
    registry: dict[str, Any], forge_jws: Callable[..., str],
) -> None:
    n = paillier_public_key.n
    size = paillier_public_key.ciphertext_bytes
    value = {"zero": 0, "n": n, "n_squared": n * n, "unobfuscated": 1 + 5 * n, "short": 2}[which]
    # "short": a value in range and coprime with n, written without its leading zero bytes.
    raw = value.to_bytes(1 if which == "short" else size, "big")
    payload = _payload(paillier_public_key)
    payload["buckets"][1]["ciphertext"] = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    jws = forge_jws(_header(signing_key), canonical_json(payload))
    _refused(jws, registry, paillier_public_key, r"buckets\[1\]\.ciphertext")


# -- schema -------------------------------------------------------------------------------------


def _forged(
    signing_key: SigningKey, paillier: PaillierPublicKey, forge: Callable[..., str],
    edit: Callable[[dict[str, Any]], None],
) -> str:
    payload = _payload(paillier)
    edit(payload)
    return str(forge(_header(signing_key), canonical_json(payload)))


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda p: p["buckets"].append(dict(p["buckets"][-1])), "same key"),
        (lambda p: p["buckets"].reverse(), "out of order"),
        (lambda p: p.update(buckets=[]), "buckets"),
        (lambda p: p.update(extra=1), "extra"),
        (lambda p: p["buckets"][0].update(country="*"), "country"),
        (lambda p: p["buckets"][0].update(country="XX"), "ISO 3166"),
        (lambda p: p["buckets"][0].update(buyer="pby_own-token"), "buyer"),
        (lambda p: p.update(period="2026-13"), "period"),
        (lambda p: p.update(jti="sub_" + "0" * 32), "jti"),
    ],
    ids=["duplicate", "unsorted", "empty", "extra-member", "merged-country", "unassigned-country",
         "not-a-common-id", "bad-period", "bad-jti"],
)
def test_a_malformed_payload_is_refused(
    edit: Callable[[dict[str, Any]], None], match: str, signing_key: SigningKey,
    paillier_public_key: PaillierPublicKey, registry: dict[str, Any],
    forge_jws: Callable[..., str],
) -> None:
    jws = _forged(signing_key, paillier_public_key, forge_jws, edit)
    _refused(jws, registry, paillier_public_key, match)


def test_a_payload_that_is_not_canonical_json_is_refused(
    signing_key: SigningKey, paillier_public_key: PaillierPublicKey, registry: dict[str, Any],
    forge_jws: Callable[..., str],
) -> None:
    body = json.dumps(_payload(paillier_public_key), indent=1).encode()
    jws = forge_jws(_header(signing_key), body)
    _refused(jws, registry, paillier_public_key, "not canonical")


# -- building -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "totals",
    [
        {},
        {BucketKey("ic:DE-1180442", "*", "EUR", "2026-04"): 1},
        {BucketKey("Müller GmbH", "DE", "EUR", "2026-04"): 1},
        {BucketKey("ic:DE-1180442", "DE", "EUR", "2026-04"): 1.5},
    ],
    ids=["empty", "merged-dimension", "name-as-buyer", "float-total"],
)
def test_the_builder_refuses_what_the_hub_would_refuse(
    totals: dict[BucketKey, Any], signing_key: SigningKey, paillier_public_key: PaillierPublicKey
) -> None:
    with pytest.raises(CryptoError) as caught:
        _build(signing_key, paillier_public_key, totals=totals)
    assert "Müller" not in str(caught.value) and "1.5" not in str(caught.value)


def test_the_book_is_summed_per_common_bucket_and_left_out_records_are_counted() -> None:
    def entry(rid: str, buyer: str | None, country: str, month: str, minor: int) -> HubBookEntry:
        return HubBookEntry(rid, buyer, country, "EUR", month, minor)

    book = book_totals([
        entry("r1", "ic:DE-1", "DE", "2026-04", 100),
        entry("r2", "ic:DE-1", "DE", "2026-04", 250),
        entry("r3", CP, "DE", "2026-04", 7),
        entry("r4", None, "DE", "2026-04", 1_000),
        entry("r5", "ic:DE-1", "*", "2026-04", 5),
        entry("r6", "ic:DE-1", "DE", "*", 5),
    ])
    assert book.totals == {
        BucketKey("ic:DE-1", "DE", "EUR", "2026-04"): 350,
        BucketKey(CP, "DE", "EUR", "2026-04"): 7,
    }
    assert list(book.totals) == sorted(book.totals)
    assert book.records == {
        BucketKey("ic:DE-1", "DE", "EUR", "2026-04"): 2, BucketKey(CP, "DE", "EUR", "2026-04"): 1,
    }
    assert book.contributed_records == 3
    assert book.uncontributed == {"no_common_id": 1, "undisclosed_dimension": 2}

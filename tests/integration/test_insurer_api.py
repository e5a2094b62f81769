"""The reference insurer attachment API over real loopback HTTP, with real keys and SQLite."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.adapters.insurer import InsurerClient, make_http_client
from gateway.canonical import canonical_json, sha256_hex
from gateway.crypto import SigningKey, dump_signing_key, generate_signing_key
from gateway.errors import ConfigError, DeliveryError, KeyMaterialError, VerificationError
from gateway.examples.insurer_api import InsurerConfig, create_app, load_config, serve_in_thread
from gateway.examples.insurer_api.__main__ import main
from gateway.limits import Limits
from gateway.sign import build_jwks
from gateway.verify import verify_receipt

INSURER_ID = "insurer-test"  # as configured in conftest.py
EXPORTER_A = "exporter-a"
EXPORTER_B = "exporter-b"
SECRET_BUYER = "Daehan Precision Trading Co."
SubmissionFactory = Callable[..., tuple[str, dict[str, Any]]]


def bucket_key(buyer: str, country: str = "US", currency: str = "USD") -> dict[str, str]:
    return {"buyer": buyer, "country": country, "currency": currency, "maturity_month": "2025-06"}


@pytest.fixture
def http(insurer_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=insurer_server.base_url, timeout=10) as client:
        yield client


def _post(http: httpx.Client, jws: str, key: str | None, **headers: str) -> httpx.Response:
    sent = {"Content-Type": "application/jose", **headers}
    if key is not None:
        sent["Idempotency-Key"] = key
    return http.post("/v1/attachments", content=jws.encode(), headers=sent)


def _error(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error", "detail"}
    return str(body["error"])


def test_valid_submission_gets_a_receipt_that_verifies(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission([(bucket_key("tok_a"), 2, 150_000)])
    response = _post(http, jws, payload["jti"])
    assert response.status_code == 201
    receipt = response.json()["receipt"]
    jwks = http.get("/.well-known/jwks.json").json()
    verified = verify_receipt(receipt, jwks, submission_id=payload["jti"], audience=EXPORTER_A)
    assert verified.payload.iss == INSURER_ID
    assert verified.payload.payload_sha256 == sha256_hex(canonical_json(payload))
    assert (verified.payload.attachments, verified.payload.buckets) == (1, 1)


def test_replay_returns_the_original_receipt_and_stores_once(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission()
    first = _post(http, jws, payload["jti"])
    second = _post(http, jws, payload["jti"])
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["receipt"] == first.json()["receipt"]
    listed = http.get("/v1/submissions").json()
    assert [row["submission_id"] for row in listed] == [payload["jti"]]
    assert listed[0]["exporter_id"] == EXPORTER_A and listed[0]["attachments"] == 1
    assert http.get("/healthz").json()["submissions"] == 1


def test_same_id_with_another_payload_is_a_conflict(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission()
    other, _ = make_submission(attachments=[{"invoice_number": "INV-2"}], jti=payload["jti"])
    assert _post(http, jws, payload["jti"]).status_code == 201
    response = _post(http, other, payload["jti"])
    assert response.status_code == 409 and _error(response) == "conflict"
    assert len(http.get("/v1/submissions").json()) == 1


def test_wrong_audience_is_rejected(http: httpx.Client, make_submission: SubmissionFactory) -> None:
    jws, payload = make_submission(aud="another-insurer")
    response = _post(http, jws, payload["jti"])
    assert response.status_code == 401 and _error(response) == "verification_failed"
    assert http.get("/v1/submissions").json() == []


def test_unknown_signing_key_is_rejected(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission(key=generate_signing_key())
    response = _post(http, jws, payload["jti"])
    assert response.status_code == 401 and _error(response) == "unknown_key"


def test_tampered_payload_is_rejected(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission(attachments=[{"invoice_number": "INV-1", "amount_band": "S"}])
    header, _, signature = jws.split(".")
    forged = dict(payload, attachments=[{"invoice_number": "INV-1", "amount_band": "XL"}])
    body = base64.urlsafe_b64encode(canonical_json(forged)).rstrip(b"=").decode()
    response = _post(http, f"{header}.{body}.{signature}", payload["jti"])
    assert response.status_code == 401 and _error(response) == "verification_failed"
    assert http.get("/v1/submissions").json() == []


def test_issuer_must_own_the_signing_key(
    http: httpx.Client, make_submission: SubmissionFactory, exporter_b_key: SigningKey
) -> None:
    """exporter-b signs with its own registered key but claims to be exporter-a."""
    jws, payload = make_submission(key=exporter_b_key, iss=EXPORTER_A)
    response = _post(http, jws, payload["jti"])
    assert response.status_code == 401 and _error(response) == "issuer_mismatch"


def test_idempotency_key_is_required_and_must_equal_jti(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    jws, _ = make_submission()
    missing = _post(http, jws, None)
    assert missing.status_code == 400 and _error(missing) == "missing_idempotency_key"
    wrong = _post(http, jws, "sub_" + "0" * 32)
    assert wrong.status_code == 422 and _error(wrong) == "idempotency_key_mismatch"
    assert http.get("/v1/submissions").json() == []


def test_wrong_paillier_key_is_rejected(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission(
        [(bucket_key("tok_a"), 1, 10)], fingerprint="sha256:" + "0" * 64
    )
    response = _post(http, jws, payload["jti"])
    assert response.status_code == 401 and _error(response) == "verification_failed"


def test_malformed_body_and_media_type(http: httpx.Client) -> None:
    garbage = _post(http, "not-a-jws", "sub_" + "1" * 32)
    assert garbage.status_code == 400 and _error(garbage) == "malformed_jws"
    binary = http.post("/v1/attachments", content=b"\xff\xfe",
                       headers={"Content-Type": "application/jose", "Idempotency-Key": "k"})
    assert binary.status_code == 400 and _error(binary) == "malformed_jws"
    wrong_type = _post(http, "a.b.c", "k", **{"Content-Type": "application/json"})
    assert wrong_type.status_code == 415 and _error(wrong_type) == "unsupported_media_type"


def test_oversized_body_is_refused_declared_or_streamed(http: httpx.Client) -> None:
    big = b"A" * (300 * 1024)  # the fixture's limit is 256 KiB
    declared = http.post("/v1/attachments", content=big,
                         headers={"Content-Type": "application/jose", "Idempotency-Key": "k"})
    assert declared.status_code == 413 and _error(declared) == "body_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for _ in range(300):
            yield b"A" * 1024

    streamed = http.post("/v1/attachments", content=chunks(),
                         headers={"Content-Type": "application/jose", "Idempotency-Key": "k"})
    assert streamed.status_code == 413 and _error(streamed) == "body_too_large"


def test_error_answers_never_echo_the_submission(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission(attachments=[{"buyer_name": SECRET_BUYER}], aud="someone-else")
    response = _post(http, jws, payload["jti"])
    assert response.status_code == 401
    assert SECRET_BUYER not in response.text and jws[:40] not in response.text
    bad_query = http.get("/v1/submissions", params={"limit": SECRET_BUYER})
    assert bad_query.status_code == 422 and _error(bad_query) == "invalid_request"
    assert SECRET_BUYER not in bad_query.text


def test_exposure_sums_each_exporters_latest_snapshot_per_bucket_and_decrypts_totals(
    http: httpx.Client, make_submission: SubmissionFactory, exporter_b_key: SigningKey
) -> None:
    a, b = bucket_key("tok_a"), bucket_key("tok_b", country="DE", currency="EUR")
    first, p1 = make_submission([(a, 2, 123_456), (b, 1, 9_900)])
    second, p2 = make_submission([(a, 3, 1_000_001)])  # exporter A's book now: bucket a only
    other, p3 = make_submission([(a, 2, 500_000)], key=exporter_b_key, iss=EXPORTER_B)
    for jws, payload in ((first, p1), (second, p2), (other, p3)):
        assert _post(http, jws, payload["jti"]).status_code == 201
    rows = {json.dumps(r["key"], sort_keys=True): r for r in http.get("/v1/exposure").json()}
    row_a = rows[json.dumps(a, sort_keys=True)]
    assert (row_a["total_minor"], row_a["records"], row_a["currency"]) == (1_500_001, 5, "USD")
    assert row_a["submission_ids"] == sorted([p2["jti"], p3["jti"]])
    assert list(rows) == [json.dumps(a, sort_keys=True)]  # A's newer snapshot dropped bucket b


def test_replays_do_not_double_count_exposure(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission([(bucket_key("tok_a"), 1, 500)])
    _post(http, jws, payload["jti"])
    _post(http, jws, payload["jti"])
    (row,) = http.get("/v1/exposure").json()
    assert row["total_minor"] == 500


def test_state_survives_a_restart(
    insurer_config: InsurerConfig, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission()
    with serve_in_thread(create_app(insurer_config)) as server:
        first = httpx.post(f"{server.base_url}/v1/attachments", content=jws,
                           headers={"Content-Type": "application/jose",
                                    "Idempotency-Key": payload["jti"]})
    with serve_in_thread(create_app(insurer_config)) as server:
        again = httpx.post(f"{server.base_url}/v1/attachments", content=jws,
                           headers={"Content-Type": "application/jose",
                                    "Idempotency-Key": payload["jti"]})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["receipt"] == first.json()["receipt"]


# -- the gateway's client against the real reference insurer ---------------------------------


def test_client_delivers_and_receipt_verifies_with_fetched_jwks(
    insurer_server: Any, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission([(bucket_key("tok_a"), 1, 42)])
    with make_http_client(Limits()) as http_client:
        client = InsurerClient(insurer_server.base_url, client=http_client)
        receipt = client.submit(payload["jti"], jws)
        again = client.submit(payload["jti"], jws)
        jwks = client.fetch_jwks()
    assert again == receipt
    verified = verify_receipt(receipt, jwks, submission_id=payload["jti"], audience=EXPORTER_A)
    assert verified.payload.payload_sha256 == sha256_hex(canonical_json(payload))


def test_client_maps_a_real_refusal_to_a_permanent_delivery_error(
    insurer_server: Any, make_submission: SubmissionFactory
) -> None:
    jws, payload = make_submission(aud="someone-else")
    with make_http_client(Limits()) as http_client:
        client = InsurerClient(insurer_server.base_url, client=http_client)
        with pytest.raises(DeliveryError) as info:
            client.submit(payload["jti"], jws)
    assert info.value.status_code == 401 and info.value.retryable is False
    assert "verification_failed" in str(info.value)


def test_client_reports_a_stopped_insurer_as_retryable(
    insurer_config: InsurerConfig, make_submission: SubmissionFactory
) -> None:
    server = serve_in_thread(create_app(insurer_config))
    url = server.base_url
    server.stop()
    jws, payload = make_submission()
    with make_http_client(Limits(connect_timeout_s=2)) as http_client, pytest.raises(
        DeliveryError
    ) as info:
        InsurerClient(url, client=http_client).submit(payload["jti"], jws)
    assert info.value.retryable is True and info.value.status_code is None


def test_receipt_signature_binds_the_insurer_key(
    http: httpx.Client, make_submission: SubmissionFactory
) -> None:
    """A receipt does not verify under a JWKS other than the insurer's published one."""
    jws, payload = make_submission()
    receipt = _post(http, jws, payload["jti"]).json()["receipt"]
    with pytest.raises(VerificationError):
        verify_receipt(receipt, build_jwks([generate_signing_key()]))


# -- configuration ---------------------------------------------------------------------------


def _write_config(tmp_path: Path, config: InsurerConfig, receipt_key: SigningKey) -> Path:
    (tmp_path / "receipt.pem").write_bytes(dump_signing_key(receipt_key, None))
    (tmp_path / "paillier.json").write_text(
        json.dumps(config.paillier_private_key.to_document()), encoding="utf-8"
    )
    for name in ("receipt.pem", "paillier.json"):
        (tmp_path / name).chmod(0o600)
    (tmp_path / "a.jwks.json").write_text(json.dumps(config.gateways[EXPORTER_A]), "utf-8")
    path = tmp_path / "insurer.json"
    path.write_text(json.dumps({
        "insurer_id": INSURER_ID,
        "receipt_key": "receipt.pem",
        "paillier_private_key": "paillier.json",
        "gateways": {EXPORTER_A: "a.jwks.json"},
        "state_path": "state.db",
    }), encoding="utf-8")
    return path


def test_load_config_reads_the_named_files(
    tmp_path: Path, insurer_config: InsurerConfig, receipt_key: SigningKey
) -> None:
    loaded = load_config(_write_config(tmp_path, insurer_config, receipt_key))
    assert loaded.receipt_key.kid == receipt_key.kid
    expected = insurer_config.paillier_private_key.fingerprint
    assert loaded.paillier_private_key.fingerprint == expected
    assert dict(loaded.gateways) == {EXPORTER_A: insurer_config.gateways[EXPORTER_A]}
    assert loaded.state_path == tmp_path / "state.db"


def test_load_config_refuses_readable_key_files(
    tmp_path: Path, insurer_config: InsurerConfig, receipt_key: SigningKey
) -> None:
    path = _write_config(tmp_path, insurer_config, receipt_key)
    (tmp_path / "paillier.json").chmod(0o644)
    with pytest.raises(KeyMaterialError, match="chmod 600"):
        load_config(path)


def test_main_reports_a_bad_config_without_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "insurer.json"
    path.write_text('{"insurer_id": "x"}', encoding="utf-8")
    assert main(["--config", str(path)]) == 2
    assert "invalid configuration" in capsys.readouterr().err


def test_a_key_registered_for_two_exporters_is_refused(
    insurer_config: InsurerConfig, exporter_a_key: SigningKey
) -> None:
    shared = insurer_config.model_copy(
        update={"gateways": {"x": build_jwks([exporter_a_key]), "y": build_jwks([exporter_a_key])}}
    )
    with pytest.raises(ConfigError, match="also belongs to another"):
        create_app(shared)

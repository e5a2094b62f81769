"""Interoperability: what the gateway sends verifies and decrypts with independent libraries.

A real sync (sample export, 2048-bit insurer key, reference insurer over loopback HTTP) fills the
gateway's store. Its submission is then checked with tools that share no code with the gateway:

- ``jwcrypto`` (an independent JOSE implementation) verifies the JWS with the public JWK taken
  from the gateway's ``jwks.json``, EdDSA only;
- a fresh ``phe.paillier.PaillierPrivateKey`` built from ``p`` and ``q`` read from the insurer's
  private key file (docs/key-formats.md) decrypts every bucket ciphertext (standard Paillier,
  ``g = n + 1``), and the totals equal those the insurer's ``/v1/exposure`` reports.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import httpx
import pytest
from jwcrypto import jwk, jws
from jwcrypto.common import JWException
from phe import paillier

from gateway.cli.sync import run_sync
from gateway.devsetup import DevInsurer, create_dev_insurer, write_config
from gateway.examples.insurer_api import create_app, load_config, serve_in_thread
from gateway.keys import GatewayKeyPaths, generate_gateway_keys
from gateway.settings import load_settings
from gateway.store import SqliteStore

EXPORTER = "exporter-interop"


@dataclass
class Synced:
    jws: str
    keys: GatewayKeyPaths
    insurer: DevInsurer
    exposure: list[dict[str, Any]]


def _b64int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    root = tmp_path_factory.mktemp("interop")
    keys = generate_gateway_keys(root / "keys", EXPORTER)
    insurer = create_dev_insurer(
        root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    sample = root / "sample_export.csv"
    shipped = resources.files("gateway.examples").joinpath("erp", "sample_export.csv")
    sample.write_bytes(shipped.read_bytes())
    with serve_in_thread(create_app(load_config(insurer.config_path))) as server:
        config = write_config(
            root, exporter_id=EXPORTER, keys=keys, insurer=insurer,
            sources=[("erp", sample)], insurer_url=server.base_url,
        )
        settings = load_settings(config)
        result = run_sync(settings, show_progress=False)
        assert result.delivered == len(result.submissions) == 1
        exposure = httpx.get(f"{server.base_url}/v1/exposure", timeout=10).json()
    with SqliteStore(settings.store_path) as store:
        (submission,) = store.list_submissions()
    yield Synced(submission.jws, keys, insurer, exposure)


def _jwcrypto_verify(token: str, keys: GatewayKeyPaths) -> dict[str, Any]:
    (entry,) = json.loads(keys.jwks.read_text(encoding="utf-8"))["keys"]
    key = jwk.JWK(**entry)
    assert not key.has_private
    message = jws.JWS()
    message.deserialize(token)
    message.verify(key, alg="EdDSA")
    header = message.jose_header
    assert header["alg"] == "EdDSA"
    assert header["kid"] == key.thumbprint() == keys.kid  # RFC 7638, computed by jwcrypto
    payload: dict[str, Any] = json.loads(message.payload)
    return payload


def test_the_submission_verifies_with_jwcrypto(synced: Synced) -> None:
    payload = _jwcrypto_verify(synced.jws, synced.keys)
    assert payload["iss"] == EXPORTER
    assert payload["aud"] == synced.insurer.insurer_id
    assert payload["exposure"]["key_fingerprint"] == synced.insurer.paillier_fingerprint


def test_jwcrypto_refuses_the_submission_with_one_signature_character_changed(
    synced: Synced,
) -> None:
    head, body, signature = synced.jws.split(".")
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    with pytest.raises(JWException):
        _jwcrypto_verify(f"{head}.{body}.{flipped}", synced.keys)


def test_a_fresh_phe_key_from_p_and_q_decrypts_the_insurer_totals(synced: Synced) -> None:
    document = json.loads(
        (synced.insurer.directory / "paillier_private.json").read_text(encoding="utf-8")
    )
    n, p, q = (_b64int(document[name]) for name in ("n", "p", "q"))
    assert p * q == n and n.bit_length() >= 2048
    private = paillier.PaillierPrivateKey(paillier.PaillierPublicKey(n), p, q)

    payload = _jwcrypto_verify(synced.jws, synced.keys)
    decrypted = {}
    for bucket in payload["exposure"]["buckets"]:
        ciphertext = _b64int(bucket["ciphertext"])
        assert 0 < ciphertext < n * n
        number = paillier.EncryptedNumber(private.public_key, ciphertext, exponent=0)
        total = private.decrypt(number)
        assert total == private.raw_decrypt(ciphertext)  # exponent 0: the integer itself
        key = json.dumps(bucket["key"], sort_keys=True)
        decrypted[key] = (bucket["records"], total)

    reported = {
        json.dumps(b["key"], sort_keys=True): (b["records"], b["total_minor"])
        for b in synced.exposure
    }
    assert decrypted == reported
    assert len(decrypted) >= 1 and all(total > 0 for _, total in decrypted.values())

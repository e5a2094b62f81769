"""A real gateway configuration for key tests: generated keys, a pinned Paillier public key
(the session's 2048-bit key), an insurer receipt JWKS and ``gateway.toml`` (no sources)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gateway.crypto import PaillierPrivateKey, generate_signing_key
from gateway.devsetup import DevInsurer, write_config
from gateway.keys import GatewayKeyPaths, generate_gateway_keys, write_public_file
from gateway.sign import build_jwks

EXPORTER_ID = "exporter-kr-001"
PASSPHRASE_ENV = "GW_SIGNING_PASSPHRASE"


@dataclass
class KeyConfig:
    """Where everything is."""

    config: Path
    keys: GatewayKeyPaths
    insurer: DevInsurer


def write_key_config(
    root: Path, paillier: PaillierPrivateKey, *, passphrase: str | None = None
) -> KeyConfig:
    """Keys in ``root/keys`` (the signing key encrypted with ``passphrase`` when given; the
    configuration then names ``PASSPHRASE_ENV``), insurer files and ``gateway.toml`` in ``root``."""
    keys = generate_gateway_keys(
        root / "keys", EXPORTER_ID, passphrase=passphrase.encode() if passphrase else None
    )
    public = write_public_file(
        root / "paillier_public.json", json.dumps(paillier.public_key.to_document()).encode()
    )
    receipt = build_jwks([generate_signing_key()])
    receipt_path = write_public_file(root / "receipt-jwks.json", json.dumps(receipt).encode())
    insurer = DevInsurer(
        directory=root,
        insurer_id="insurer-ksure",
        paillier_public_key=public,
        paillier_fingerprint=paillier.fingerprint,
        receipt_jwks_path=receipt_path,
        receipt_jwks=receipt,
        config_path=root / "insurer.json",
    )
    config = write_config(root, exporter_id=EXPORTER_ID, keys=keys, insurer=insurer)
    if passphrase:
        text = config.read_text(encoding="utf-8")
        line = f'signing_key_passphrase_env = "{PASSPHRASE_ENV}"'
        text = text.replace("[keys]\n", f"[keys]\n{line}\n")
        config.write_text(text, encoding="utf-8")
    return KeyConfig(config, keys, insurer)

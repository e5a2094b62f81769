"""A development setup: gateway keys, a local reference insurer and a configuration file.

Used by ``gateway demo``, ``gateway init --dev-insurer`` and the integration tests. The insurer
side (its Paillier private key and receipt key) is written to its own directory: in production
those keys never exist on the exporter's machine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.crypto import SigningKey, dump_signing_key, generate_signing_key
from gateway.keys import (
    GatewayKeyPaths,
    write_paillier_keypair,
    write_private_file,
    write_public_file,
)
from gateway.sign import build_jwks

INSURER_ID = "reference-insurer"


@dataclass
class DevInsurer:
    """A reference insurer's key files, and its running server when started."""

    directory: Path
    insurer_id: str
    paillier_public_key: Path
    paillier_fingerprint: str
    receipt_jwks_path: Path
    receipt_jwks: dict[str, Any]
    config_path: Path
    base_url: str = ""
    _server: Any = None

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def create_dev_insurer(
    directory: Path,
    *,
    gateway_jwks: Path,
    exporter_id: str,
    paillier_bits: int = 3072,
    receipt_key: SigningKey | None = None,
) -> DevInsurer:
    """Write a reference insurer's keys and configuration (``insurer.json``) into ``directory``."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    paillier = write_paillier_keypair(directory, paillier_bits)
    receipt_key = receipt_key or generate_signing_key()
    write_private_file(directory / "receipt-key.pem", dump_signing_key(receipt_key, None))
    receipt_jwks = build_jwks([receipt_key])
    receipt_jwks_path = directory / "receipt-jwks.json"
    write_public_file(receipt_jwks_path, json.dumps(receipt_jwks, indent=2).encode())
    gateways_dir = directory / "gateways"
    gateways_dir.mkdir(exist_ok=True)
    (gateways_dir / f"{exporter_id}.jwks.json").write_bytes(gateway_jwks.read_bytes())
    config_path = directory / "insurer.json"
    config = {
        "insurer_id": INSURER_ID,
        "receipt_key": "receipt-key.pem",
        "paillier_private_key": paillier.private_key.name,
        "gateways": {exporter_id: f"gateways/{exporter_id}.jwks.json"},
        "state_path": "insurer-state.sqlite3",
    }
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return DevInsurer(
        directory=directory,
        insurer_id=INSURER_ID,
        paillier_public_key=paillier.public_key,
        paillier_fingerprint=paillier.fingerprint,
        receipt_jwks_path=receipt_jwks_path,
        receipt_jwks=receipt_jwks,
        config_path=config_path,
    )


def start_dev_insurer(
    directory: Path,
    *,
    gateway_jwks: Path,
    exporter_id: str,
    paillier_bits: int = 3072,
    receipt_key: SigningKey | None = None,
) -> DevInsurer:
    """Create a reference insurer and serve it on an OS-assigned loopback port."""
    from gateway.examples.insurer_api import create_app, load_config, serve_in_thread

    insurer = create_dev_insurer(
        directory,
        gateway_jwks=gateway_jwks,
        exporter_id=exporter_id,
        paillier_bits=paillier_bits,
        receipt_key=receipt_key,
    )
    server = serve_in_thread(create_app(load_config(insurer.config_path)))
    insurer.base_url = server.base_url
    insurer._server = server
    return insurer


def _q(value: object) -> str:
    """A TOML basic string (JSON string escaping is valid TOML); a path is made absolute."""
    text = str(value.resolve()) if isinstance(value, Path) else str(value)
    return json.dumps(text, ensure_ascii=False)


def write_config(
    directory: Path,
    *,
    exporter_id: str,
    keys: GatewayKeyPaths,
    insurer: DevInsurer,
    sources: Sequence[tuple[str, Path] | tuple[str, Path, str]] = (),
    insurer_url: str | None = None,
    customs: Sequence[tuple[str, Path, str]] = (),
    receivables: Path | None = None,
) -> Path:
    """Write ``gateway.toml`` for these keys, this insurer and these CSV sources
    (``(name, path)`` or ``(name, path, encoding)``, generic mapping), customs CSV sources
    (``(name, path, mapping)``) and an open-items export for the continuing-export guard.

    Paths are written absolute: the configuration resolves relative paths against its own
    directory, which is not the directory the caller named them from."""
    lines = [
        "# Export credit gateway configuration (see README: Configuration reference).",
        f"exporter_id = {_q(exporter_id)}",
        f"data_dir = {_q('data')}",
        "",
        "[keys]",
        f"signing_key = {_q(keys.signing_key)}",
        f"pseudonym_key = {_q(keys.pseudonym_key)}",
        "",
        "[insurer]",
        f"id = {_q(insurer.insurer_id)}",
        f"url = {_q(insurer_url or insurer.base_url or 'http://127.0.0.1:8080')}",
        f"paillier_public_key = {_q(insurer.paillier_public_key)}",
        f"paillier_fingerprint = {_q(insurer.paillier_fingerprint)}",
        f"receipt_jwks = {_q(insurer.receipt_jwks_path)}",
        "",
        "[policy]",
        'engine = "embedded"',
        '# path = "policies"  # a directory of .rego files; unset = the built-in default policy',
    ]
    for name, path, *encoding in sources:
        lines += [
            "",
            "[[sources]]",
            f"name = {_q(name)}",
            'kind = "csv"',
            f"path = {_q(path)}",
            'mapping = "generic"',
            f"encoding = {_q(encoding[0] if encoding else 'auto')}",
        ]
    for name, path, mapping in customs:
        lines += [
            "",
            "[[customs]]",
            f"name = {_q(name)}",
            'kind = "csv"',
            f"path = {_q(path)}",
            f"mapping = {_q(mapping)}",
        ]
    if receivables is not None:
        lines += ["", "[receivables]", f"path = {_q(receivables)}", "overdue_days = 30"]
    config = directory / "gateway.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config

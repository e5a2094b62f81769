"""``gateway hub init``: a hub directory with its configuration, signing key and public JWKS.

Writes, in ``directory``::

    hub.toml                        the configuration, with absolute paths
    keys/hub-signing.pem            the hub's Ed25519 signing key, PKCS#8 PEM, mode 0600
    keys/paillier_public-<fp>.json  the insurer's Paillier public key, checked against its
                                    pinned fingerprint before it is copied
    jwks.json                       the hub's public JWKS, handed to the insurer
    data/                           the hub's SQLite store (created on first use), mode 0700

An existing ``hub.toml`` or key is never overwritten. The written file is loaded back, so what
``init`` leaves behind is a configuration the hub accepts.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from gateway.crypto import dump_signing_key, generate_signing_key
from gateway.errors import ConfigError
from gateway.hub.settings import HubSettings, load_hub_settings
from gateway.keys import import_paillier_public_key, write_private_file, write_public_file
from gateway.sign import build_jwks

CONFIG_FILE = "hub.toml"
SIGNING_KEY_FILE = "hub-signing.pem"
JWKS_FILE = "jwks.json"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


@dataclass(frozen=True)
class HubInit:
    """What ``init_hub`` wrote and the identifiers it chose."""

    config: Path
    signing_key: Path
    jwks: Path
    paillier_public_key: Path
    kid: str
    fingerprint: str
    settings: HubSettings


def _q(value: object) -> str:
    """A TOML basic string (JSON string escaping is valid TOML)."""
    return json.dumps(str(value), ensure_ascii=False)


def _config_text(
    *, hub_id: str, insurer_id: str, data_dir: Path, signing_key: Path, paillier: Path,
    fingerprint: str, k: int, port: int, insurer_url: str | None,
) -> str:
    lines = [
        "# The aggregation hub (docs/hub.md). The operator's release token is read from the",
        "# environment variable named by release_token_env; it is never written here.",
        f"hub_id = {_q(hub_id)}",
        f"data_dir = {_q(data_dir)}",
        f"signing_key = {_q(signing_key)}",
        f"insurer_id = {_q(insurer_id)}",
        f"insurer_paillier_public_key = {_q(paillier)}",
        f"insurer_paillier_fingerprint = {_q(fingerprint)}",
        f"k = {int(k)}",
        'host = "127.0.0.1"',
        f"port = {int(port)}",
        'release_token_env = "GATEWAY_HUB_RELEASE_TOKEN"',
    ]
    if insurer_url is not None:
        lines.append(f"insurer_url = {_q(insurer_url)}")
    return "\n".join(lines) + "\n"


def _check_values(
    hub_id: str, insurer_id: str, folder: Path, fingerprint: str, k: int, port: int,
    insurer_url: str | None,
) -> None:
    """Validate the settings before anything is written (paths are checked when loaded)."""
    try:
        HubSettings(
            hub_id=hub_id, insurer_id=insurer_id, data_dir=folder / "data",
            signing_key=folder / "keys" / SIGNING_KEY_FILE,
            insurer_paillier_public_key=folder / "keys",
            insurer_paillier_fingerprint=fingerprint.strip().lower(), k=k, port=port,
            insurer_url=insurer_url,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"hub settings refused: {problems}") from None


def init_hub(
    directory: Path | str,
    *,
    hub_id: str,
    insurer_id: str,
    insurer_paillier_key: Path | str,
    fingerprint: str,
    k: int = 3,
    port: int = 8710,
    insurer_url: str | None = None,
) -> HubInit:
    """Create a hub directory (see the module docstring); refuses to overwrite anything."""
    for name, value in (("hub id", hub_id), ("insurer id", insurer_id)):
        if not isinstance(value, str) or not _ID.match(value):
            raise ConfigError(f"{name} must be 1-128 characters of [A-Za-z0-9._:-]")
    folder = Path(directory).resolve()
    config = folder / CONFIG_FILE
    signing_path = folder / "keys" / SIGNING_KEY_FILE
    for path in (config, signing_path, folder / JWKS_FILE):
        if path.exists():
            raise ConfigError(f"{path} exists; refusing to overwrite it")
    _check_values(hub_id, insurer_id, folder, fingerprint, k, port, insurer_url)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        (folder / "data").mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot create the hub directory ({exc.strerror})") from exc
    imported = import_paillier_public_key(insurer_paillier_key, folder / "keys", fingerprint)
    signing = generate_signing_key()
    write_private_file(signing_path, dump_signing_key(signing, None))
    jwks = write_public_file(
        folder / JWKS_FILE,
        (json.dumps(build_jwks([signing]), indent=2, sort_keys=True) + "\n").encode("utf-8"),
    )
    text = _config_text(
        hub_id=hub_id, insurer_id=insurer_id, data_dir=folder / "data", signing_key=signing_path,
        paillier=imported.public_key, fingerprint=imported.fingerprint, k=k, port=port,
        insurer_url=insurer_url,
    )
    try:
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise ConfigError(f"{config}: cannot write the configuration ({exc.strerror})") from exc
    settings = load_hub_settings(config)
    return HubInit(config, signing_path, jwks, imported.public_key, signing.kid,
                   imported.fingerprint, settings)

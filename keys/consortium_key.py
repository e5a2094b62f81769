"""The consortium key: the HMAC key exporters share to name common buyers for the hub.

Exporters who contribute to one aggregation hub share this key (and the insurer, the hub and
anyone outside the consortium do not hold it), so that a buyer without an insurer code gets the
same consortium pseudonym at every exporter (gateway.hub.common_id). One participant generates
it and hands it to the others out of band; each keeps it owner-only.

File format, like ``pseudonym.key``::

    {"kid": "csk-<yyyymmdd>-<6 hex>", "key": "<base64url of 32 random bytes>"}   mode 0600

Loading refuses a file that is group- or world-accessible, not a regular file, empty, a
placeholder, shorter than 32 bytes, or whose ``kid`` is not a consortium kid (``csk-...``: the
gateway's own pseudonymisation key must not be configured here by mistake). Errors name the
file, never the content.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

from gateway.crypto import PseudonymKey, b64url_decode, b64url_encode
from gateway.crypto.strict_json import loads_strict
from gateway.errors import KeyMaterialError

from .files import read_private_file, write_private_file

CONSORTIUM_KEY_BYTES: Final = 32
CONSORTIUM_KID_PREFIX: Final = "csk-"
_KID: Final = re.compile(r"^csk-[A-Za-z0-9][A-Za-z0-9_-]{1,59}$")


@dataclass(frozen=True)
class ConsortiumKeyFile:
    """Where :func:`generate_consortium_key` wrote the key, and its id."""

    path: Path
    kid: str


def consortium_key_document(today: date | None = None) -> dict[str, str]:
    """A fresh consortium key document: ``csk-<yyyymmdd>-<6 hex>`` and 32 random bytes."""
    day = today or datetime.now(UTC).date()
    kid = f"{CONSORTIUM_KID_PREFIX}{day:%Y%m%d}-{secrets.token_hex(3)}"
    return {"kid": kid, "key": b64url_encode(secrets.token_bytes(CONSORTIUM_KEY_BYTES))}


def generate_consortium_key(path: Path | str, *, today: date | None = None) -> ConsortiumKeyFile:
    """Write a new consortium key to ``path`` (0600, atomically); never replaces a file."""
    path = Path(path)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyMaterialError(f"{path}: cannot create its directory ({exc.strerror})") from exc
    document = consortium_key_document(today)
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    write_private_file(path, text.encode("utf-8"))
    return ConsortiumKeyFile(path, document["kid"])


def load_consortium_key_file(path: Path | str) -> PseudonymKey:
    """The consortium key in ``path`` after the permission, placeholder and length checks."""
    doc = loads_strict(read_private_file(path), what=str(path), error=KeyMaterialError)
    if not isinstance(doc, dict) or set(doc) != {"kid", "key"}:
        raise KeyMaterialError(f'{path}: expected exactly {{"kid": ..., "key": ...}}')
    kid = doc["kid"]
    if not isinstance(kid, str) or not _KID.match(kid):
        raise KeyMaterialError(
            f"{path}: kid must be a consortium key id (csk-..., 5-64 chars of [A-Za-z0-9_-])"
        )
    if not isinstance(doc["key"], str):
        raise KeyMaterialError(f"{path}: key must be a base64url string")
    secret = b64url_decode(doc["key"], what=f"{path}: key", error=KeyMaterialError)
    if not any(secret):
        raise KeyMaterialError(f"{path}: looks like a placeholder (all zero bytes)")
    if len(secret) < CONSORTIUM_KEY_BYTES:
        raise KeyMaterialError(
            f"{path}: consortium key is {len(secret)} bytes; at least {CONSORTIUM_KEY_BYTES} "
            "required"
        )
    try:
        return PseudonymKey(kid, secret)
    except KeyMaterialError as exc:
        raise KeyMaterialError(f"{path}: {exc}") from exc

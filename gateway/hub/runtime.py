"""What a running hub holds in memory: its settings, keys and operator tokens, loaded once.

Tokens come from environment variables (never from the file): at least 32 bytes, not a
placeholder, at least 8 distinct bytes. An unset release token disables the release endpoint
(the CLI still releases); a set but weak one stops start-up. Tokens are compared in constant
time against every accepted token, so the answer's timing does not tell which one was near.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.crypto import PaillierPublicKey, SigningKey
from gateway.errors import ConfigError
from gateway.hub.settings import HubSettings
from gateway.keys import load_paillier_public_key_file, load_signing_key_file
from gateway.service.signing import webhook_secret
from gateway.sign import build_jwks


@dataclass(frozen=True)
class HubRuntime:
    """The loaded hub: settings, its signing key, the insurer's Paillier key, its tokens."""

    settings: HubSettings
    signing_key: SigningKey
    paillier: PaillierPublicKey
    release_token: bytes | None = field(default=None, repr=False)
    reader_token: bytes | None = field(default=None, repr=False)

    @property
    def jwks(self) -> dict[str, Any]:
        """The hub's public JWKS (what the insurer verifies releases with)."""
        return build_jwks([self.signing_key])


def read_token(name: str | None, environ: Mapping[str, str]) -> bytes | None:
    """The token in the environment variable ``name`` (``None`` if unset or empty)."""
    if not name:
        return None
    value = environ.get(name, "")
    if not value:
        return None
    try:
        return webhook_secret(value, name=name)
    except ConfigError as exc:  # its text speaks of the webhook: name the variable instead
        raise ConfigError(
            f"environment variable {name}: not a usable token (at least 32 random bytes, "
            "not a placeholder)"
        ) from exc


def bearer_matches(header: str | None, tokens: tuple[bytes | None, ...]) -> bool:
    """Whether ``Authorization: Bearer <token>`` carries one of ``tokens`` (constant time)."""
    if not header or not header.startswith("Bearer "):
        return False
    offered = header[len("Bearer ") :].encode("utf-8", "surrogateescape")
    matched = False
    for token in tokens:
        if token is not None:
            matched |= hmac.compare_digest(offered, token)
    return matched


def load_hub_runtime(
    settings: HubSettings, environ: Mapping[str, str] | None = None
) -> HubRuntime:
    """Load the hub's keys (signing key 0600, Paillier key pinned by fingerprint) and tokens."""
    env = os.environ if environ is None else environ
    signing = load_signing_key_file(settings.signing_key, settings.signing_key_passphrase_env)
    paillier = load_paillier_public_key_file(
        settings.insurer_paillier_public_key, settings.insurer_paillier_fingerprint
    )
    return HubRuntime(
        settings=settings,
        signing_key=signing,
        paillier=paillier,
        release_token=read_token(settings.release_token_env, env),
        reader_token=read_token(settings.reader_token_env, env),
    )

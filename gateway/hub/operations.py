"""The hub's operations, shared by the HTTP service and the CLI (which only parse and map).

- :func:`accept_contribution`: name the claimed issuer (unauthenticated, only to pick the
  exporter's registered JWKS), verify the contribution against that JWKS alone (signature, hub
  id, Paillier fingerprint, freshness, ciphertexts), then apply it in one transaction.
- :func:`release_period`: build and store the signed release of a period, closing it.
- :func:`push_period`: send a stored release to the insurer and record the outcome.
"""

from __future__ import annotations

import re

import httpx

from gateway.crypto.strict_json import loads_strict
from gateway.errors import ConfigError, DeliveryError, VerificationError
from gateway.hub._records import AppliedContribution, StoredRelease
from gateway.hub.contribution import CONTRIBUTION_TYP, verify_contribution
from gateway.hub.errors import UnknownExporter
from gateway.hub.push import push_release
from gateway.hub.release import BuiltRelease, PeriodState, build_release
from gateway.hub.runtime import HubRuntime
from gateway.hub.store import HubStore, check_period
from gateway.verify.compact import parse_compact

_ISSUER = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def claimed_issuer(jws: str) -> str:
    """The ``iss`` a contribution claims, before any signature check (it only selects the
    JWKS that must then verify it)."""
    parsed = parse_compact(jws, typ=CONTRIBUTION_TYP)
    payload = loads_strict(parsed.payload_bytes, what="contribution payload",
                           error=VerificationError)
    issuer = payload.get("iss") if isinstance(payload, dict) else None
    if not isinstance(issuer, str) or not _ISSUER.match(issuer):
        raise VerificationError("contribution payload: iss is missing or malformed")
    return issuer


def accept_contribution(
    jws: str, *, store: HubStore, runtime: HubRuntime, now: int
) -> AppliedContribution:
    """Verify ``jws`` against its exporter's registered keys and apply it."""
    issuer = claimed_issuer(jws)
    exporter = store.exporter(issuer)
    if exporter is None:
        raise UnknownExporter("contribution issuer is not a registered exporter")
    settings = runtime.settings
    verified = verify_contribution(
        jws,
        jwks=exporter.jwks,
        hub_id=settings.hub_id,
        paillier=runtime.paillier,
        now=now,
        max_age_s=settings.contribution_max_age_s,
        issuer=issuer,
    )
    return store.apply(verified, runtime.paillier, received_at=now)


def release_period(store: HubStore, runtime: HubRuntime, period: str, *, now: int) -> StoredRelease:
    """Build, sign and store the release of ``period``; the period is closed afterwards."""
    settings = runtime.settings

    def build(state: PeriodState) -> BuiltRelease:
        return build_release(
            state,
            hub_id=settings.hub_id,
            insurer_id=settings.insurer_id,
            k=settings.k,
            paillier=runtime.paillier,
            key=runtime.signing_key,
            now=now,
        )

    return store.release(check_period(period), runtime.paillier, build, now=now)


def push_period(
    store: HubStore, runtime: HubRuntime, period: str, *, client: httpx.Client, now: int
) -> StoredRelease:
    """Push the stored release of ``period`` to the insurer; the attempt is recorded and a
    failure re-raised as :class:`DeliveryError` (the release stays stored)."""
    url = runtime.settings.insurer_url
    if url is None:
        raise ConfigError("insurer_url is not configured: nowhere to push the release")
    release = store.release_of(period)
    if release is None:
        raise ConfigError(f"period {period} has no release to push")
    try:
        push_release(url, release.jws, release.jti, client=client)
    except DeliveryError as exc:
        store.record_push(period, now=now, error=str(exc))
        raise
    return store.record_push(period, now=now, error=None)

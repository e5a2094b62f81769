"""What the insurer keeps of a hub release once its key custodian has decrypted it.

Plain, frozen values: cross-exporter totals in integer minor units for the buckets that at
least ``k`` distinct exporters contributed to, and per-(country, currency) remainders of the
smaller buckets. Produced by :class:`~gateway.examples.insurer_api.custody.KeyCustodian`, stored
by :class:`~gateway.examples.insurer_api.state.InsurerState`, read by the portfolio report.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReleasedBucket:
    """One released bucket: ``buyer`` is ``"ic:<insurer code>"`` or ``"cp:<pseudonym>"``."""

    buyer: str
    country: str
    currency: str
    maturity_month: str
    contributors: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class ReleasedRemainder:
    """The sum of ``buckets`` smaller buckets of one country and currency."""

    country: str
    currency: str
    contributors: int
    buckets: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class DecryptedRelease:
    """A verified hub release with its totals decrypted; ``sha256`` is of the JWS text."""

    release_id: str
    hub_id: str
    period: str
    iat: int
    k: int
    fingerprint: str
    sha256: str
    buckets: tuple[ReleasedBucket, ...]
    remainders: tuple[ReleasedRemainder, ...]
    suppressed_buckets: int

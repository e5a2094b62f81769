"""The portfolio concentration report: pure functions from released totals to a report.

Input: the decrypted hub release of one period and, when there is one, of the previous released
period. Per currency (amounts of different currencies are never added):

- **buyers**: the ``top`` buyers by exposure, summed over countries and maturity months, then
  one ``other buyers`` line for the rest of the named buyers, then one ``other (n buckets)``
  line per country for the released remainders (buckets with fewer than k exporters, whose
  buyers the insurer does not learn);
- **countries**: every country by exposure, remainders included;
- **share** of the currency's portfolio: an exact :class:`~fractions.Fraction`, so the shares of
  each list sum to exactly 1, and for display a :class:`~decimal.Decimal` percentage rounded
  half-even to 0.1;
- **change** against the previous released period: absolute and in per cent, ``new`` when the
  buyer, country or currency had no released amount then;
- **breaches**: named buyers and countries whose exposure is *above* the configured limit of
  their currency (an exposure exactly at the limit is within it).

Money is integer minor units throughout; nothing passes through ``float``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from gateway.examples.insurer_api.released import DecryptedRelease

DEFAULT_TOP = 10
BuyerKind = Literal["insurer_code", "pseudonym", "unknown", "other_buyers", "remainder"]
Status = Literal["new", "up", "down", "same"]
_SHORT = 8


@dataclass(frozen=True)
class ExposureLimits:
    """Limits in minor units per currency: one per buyer, one per country."""

    per_buyer: Mapping[str, int] = field(default_factory=dict)
    per_country: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """Against the previous released period; ``previous_minor`` is ``None`` when ``new``."""

    status: Status
    previous_minor: int | None
    change_minor: int | None
    change_pct: Decimal | None  # None when new, or when the previous amount was not positive


@dataclass(frozen=True)
class BuyerLine:
    key: str  # the buyer id, "other-buyers", or "other:<country>"
    label: str
    kind: BuyerKind
    countries: tuple[str, ...]
    buckets: int
    exposure_minor: int
    share: Fraction | None
    share_pct: Decimal | None
    change: Change | None  # None for the "other" lines (not comparable across periods)


@dataclass(frozen=True)
class CountryLine:
    country: str
    exposure_minor: int
    named_minor: int
    remainder_minor: int
    remainder_buckets: int
    share: Fraction | None
    share_pct: Decimal | None
    change: Change


@dataclass(frozen=True)
class Breach:
    scope: Literal["buyer", "country"]
    key: str
    label: str
    exposure_minor: int
    limit_minor: int
    excess_minor: int


@dataclass(frozen=True)
class CurrencyReport:
    currency: str
    total_minor: int
    change: Change
    named_buyers: int
    buyers: tuple[BuyerLine, ...]
    countries: tuple[CountryLine, ...]
    countries_gone: tuple[tuple[str, int], ...]  # (country, previous minor) absent now
    breaches: tuple[Breach, ...]


@dataclass(frozen=True)
class PortfolioReport:
    period: str
    previous_period: str | None
    release_id: str
    hub_id: str
    k: int
    suppressed_buckets: int
    currencies: tuple[CurrencyReport, ...]


def buyer_kind(buyer: str) -> BuyerKind:
    if buyer.startswith("ic:"):
        return "insurer_code"
    return "pseudonym" if buyer.startswith("cp:") else "unknown"


def buyer_label(buyer: str) -> str:
    """``ic:K123`` -> ``K123``; ``cp:p1.csk-x.AbCdEfGh…`` -> ``pseudonymous buyer AbCdEfGh``."""
    kind = buyer_kind(buyer)
    if kind == "insurer_code":
        return buyer[3:]
    if kind == "pseudonym":
        return "pseudonymous buyer " + buyer[3:].rsplit(".", 1)[-1][:_SHORT]
    return "unrecognised buyer id " + buyer[:_SHORT]


def percent(ratio: Fraction) -> Decimal:
    """``ratio`` as a percentage rounded half-even to 0.1, exactly (no binary floating point)."""
    tenths = round(ratio * 1000)  # Fraction.__round__ rounds half to even
    return Decimal(tenths).scaleb(-1)


def _share(amount: int, total: int) -> tuple[Fraction | None, Decimal | None]:
    if total <= 0:
        return None, None
    ratio = Fraction(amount, total)
    return ratio, percent(ratio)


def change(current: int, previous: int | None) -> Change:
    """The change from ``previous`` (``None``: absent then) to ``current``."""
    if previous is None:
        return Change("new", None, None, None)
    delta = current - previous
    status: Status = "up" if delta > 0 else "down" if delta < 0 else "same"
    pct = percent(Fraction(delta, previous)) if previous > 0 else None
    return Change(status, previous, delta, pct)


@dataclass
class _Sums:
    """One currency's sums of one release."""

    total: int = 0
    buyers: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    buyer_countries: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    buyer_buckets: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    named: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    remainders: dict[str, tuple[int, int]] = field(default_factory=dict)  # country -> (sum, n)

    def countries(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for country, amount in self.named.items():
            out[country] += amount
        for country, (amount, _) in self.remainders.items():
            out[country] += amount
        return dict(out)


def _sums(release: DecryptedRelease) -> dict[str, _Sums]:
    by_currency: dict[str, _Sums] = defaultdict(_Sums)
    for bucket in release.buckets:
        sums = by_currency[bucket.currency]
        sums.total += bucket.total_minor
        sums.buyers[bucket.buyer] += bucket.total_minor
        sums.buyer_countries[bucket.buyer].add(bucket.country)
        sums.buyer_buckets[bucket.buyer] += 1
        sums.named[bucket.country] += bucket.total_minor
    for rem in release.remainders:
        sums = by_currency[rem.currency]
        sums.total += rem.total_minor
        amount, buckets = sums.remainders.get(rem.country, (0, 0))
        sums.remainders[rem.country] = (amount + rem.total_minor, buckets + rem.buckets)
    return dict(by_currency)


def _ranked(amounts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(amounts.items(), key=lambda item: (-item[1], item[0]))


def _buyer_lines(now: _Sums, before: _Sums | None, top: int) -> list[BuyerLine]:
    ranked = _ranked(now.buyers)
    lines = []
    for buyer, amount in ranked[:top]:
        previous = before.buyers.get(buyer) if before is not None else None
        lines.append(BuyerLine(
            buyer, buyer_label(buyer), buyer_kind(buyer),
            tuple(sorted(now.buyer_countries[buyer])), now.buyer_buckets[buyer], amount,
            *_share(amount, now.total), change(amount, previous),
        ))
    rest = ranked[top:]
    if rest:
        amount = sum(a for _, a in rest)
        countries = sorted({c for b, _ in rest for c in now.buyer_countries[b]})
        lines.append(BuyerLine(
            "other-buyers", f"other buyers ({len(rest)})", "other_buyers", tuple(countries),
            sum(now.buyer_buckets[b] for b, _ in rest), amount, *_share(amount, now.total), None,
        ))
    for country, (amount, buckets) in sorted(now.remainders.items(), key=lambda i: i[0]):
        lines.append(BuyerLine(
            f"other:{country}", f"other ({buckets} buckets)", "remainder", (country,), buckets,
            amount, *_share(amount, now.total), None,
        ))
    return lines


def _country_lines(now: _Sums, before: _Sums | None) -> list[CountryLine]:
    previous = before.countries() if before is not None else {}
    lines = []
    for country, amount in _ranked(now.countries()):
        rem_amount, rem_buckets = now.remainders.get(country, (0, 0))
        lines.append(CountryLine(
            country, amount, now.named.get(country, 0), rem_amount, rem_buckets,
            *_share(amount, now.total), change(amount, previous.get(country)),
        ))
    return lines


def _over(scope: Literal["buyer", "country"], amounts: Iterable[tuple[str, str, int]],
          limit: int | None) -> list[Breach]:
    if limit is None:
        return []
    return [Breach(scope, key, label, amount, limit, amount - limit)
            for key, label, amount in amounts if amount > limit]


def _breaches(currency: str, now: _Sums, limits: ExposureLimits) -> list[Breach]:
    buyers = ((b, buyer_label(b), a) for b, a in _ranked(now.buyers))
    countries = ((c, c, a) for c, a in _ranked(now.countries()))
    return (_over("buyer", buyers, limits.per_buyer.get(currency))
            + _over("country", countries, limits.per_country.get(currency)))


def _currency(currency: str, now: _Sums, before: _Sums | None, limits: ExposureLimits,
              top: int) -> CurrencyReport:
    gone: list[tuple[str, int]] = []
    if before is not None:
        present = now.countries()
        gone = [(c, a) for c, a in _ranked(before.countries()) if c not in present]
    return CurrencyReport(
        currency=currency,
        total_minor=now.total,
        change=change(now.total, before.total if before is not None else None),
        named_buyers=len(now.buyers),
        buyers=tuple(_buyer_lines(now, before, top)),
        countries=tuple(_country_lines(now, before)),
        countries_gone=tuple(gone),
        breaches=tuple(_breaches(currency, now, limits)),
    )


def build_report(
    current: DecryptedRelease,
    previous: DecryptedRelease | None,
    limits: ExposureLimits,
    *,
    top: int = DEFAULT_TOP,
) -> PortfolioReport:
    """The report of ``current``'s period, compared with ``previous`` (an earlier period)."""
    if top < 1:
        raise ValueError("top must be at least 1")
    if previous is not None and previous.period >= current.period:
        raise ValueError("the previous release must be of an earlier period")
    now, before = _sums(current), _sums(previous) if previous is not None else {}
    return PortfolioReport(
        period=current.period,
        previous_period=previous.period if previous is not None else None,
        release_id=current.release_id,
        hub_id=current.hub_id,
        k=current.k,
        suppressed_buckets=current.suppressed_buckets,
        currencies=tuple(
            _currency(cur, now[cur], before.get(cur), limits, top) for cur in sorted(now)
        ),
    )

"""Do a group's ERP records and declarations agree? Amount tolerance and currency handling.

Amounts agree when ``|a - b| <= max(amount_tolerance_minor, amount_tolerance_pct % of the
larger)`` in integer minor units. A group in one currency compares the sums of its amounts.
Across currencies the group compares in KRW, and only when ``fx`` is configured, every ERP
currency has a rate and every declaration carries its FOB value in KRW: ERP amounts times their
rates (rounded half-even to the won) against the sum of the declarations' FOB values. Otherwise
a currency difference is a conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Final

from gateway.reconcile._items import DeclItem, ErpItem
from gateway.reconcile.config import ReconcileConfig
from gateway.reconcile.outcome import (
    CONFLICT_AMOUNT,
    CONFLICT_BUYER,
    CONFLICT_COUNTRY,
    CONFLICT_CURRENCY,
    CONFLICT_DUPLICATE,
    CONFLICT_REASONS,
)

#: Field names a verdict reports, and the conflict reason each one raises.
REASON_OF_FIELD: Final = {
    "declaration_number": CONFLICT_DUPLICATE,
    "currency": CONFLICT_CURRENCY,
    "buyer": CONFLICT_BUYER,
    "country": CONFLICT_COUNTRY,
    "amount": CONFLICT_AMOUNT,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The fields that disagree (in a fixed order), their reason, and whether FX was used."""

    differing: tuple[str, ...]
    fx: bool
    reason: str | None


def _reason(differing: Sequence[str]) -> str | None:
    reasons = {REASON_OF_FIELD[name] for name in differing}
    for code in CONFLICT_REASONS:
        if code in reasons:
            return code
    return None


@dataclass(frozen=True, slots=True)
class Tolerance:
    """The amount tolerance of a config as integers: ``gap <= absolute`` or
    ``gap * 100 * den <= larger * num`` where ``num / den`` is the percentage, exactly."""

    absolute: int
    num: int
    den: int

    @classmethod
    def of(cls, config: ReconcileConfig) -> Tolerance:
        num, den = config.amount_tolerance_pct.as_integer_ratio()
        return cls(config.amount_tolerance_minor, num, den)

    def agrees(self, a: int, b: int) -> bool:
        """Whether two amounts in the same minor units agree."""
        gap = abs(a - b)
        return gap <= self.absolute or gap * 100 * self.den <= max(a, b) * self.num


def within_tolerance(a: int, b: int, config: ReconcileConfig) -> bool:
    """Whether two amounts in the same minor units agree (the larger tolerance applies)."""
    return Tolerance.of(config).agrees(a, b)


def _krw_totals(
    erp: Sequence[ErpItem], decls: Sequence[DeclItem], config: ReconcileConfig
) -> tuple[int, int] | None:
    if config.fx is None:
        return None
    fob = [d.declaration.fob_krw for d in decls]
    if any(value is None for value in fob):
        return None
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 60
        for item in erp:
            rate = config.krw_rate(item.record.currency)
            if rate is None:
                return None
            total += item.record.amount * rate
        erp_krw = int(total.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return erp_krw, sum(value for value in fob if value is not None)


def assess(
    erp: Sequence[ErpItem],
    decls: Sequence[DeclItem],
    config: ReconcileConfig,
    *,
    duplicate: bool = False,
) -> Verdict:
    """Compare a linked group; ``duplicate`` says a declaration number occurs more than once."""
    differing: list[str] = ["declaration_number"] if duplicate else []
    currencies = {e.currency for e in erp} | {d.currency for d in decls}
    used_fx = False
    amounts: tuple[int, int] | None
    if len(currencies) == 1:
        amounts = (sum(e.minor for e in erp), sum(d.minor for d in decls))
    else:
        amounts = _krw_totals(erp, decls, config)
        used_fx = amounts is not None
        if amounts is None:
            differing.append("currency")
    if len({e.buyer for e in erp} | {d.buyer for d in decls}) > 1:
        differing.append("buyer")
    if len({e.country for e in erp} | {d.country for d in decls}) > 1:
        differing.append("country")
    if amounts is not None and not within_tolerance(*amounts, config):
        differing.append("amount")
    return Verdict(differing=tuple(differing), fx=used_fx, reason=_reason(differing))

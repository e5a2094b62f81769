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

from gateway.model import ExportDeclaration, ExportRecord
from gateway.reconcile._items import Side
from gateway.reconcile.config import ReconcileConfig
from gateway.reconcile.exact import Group
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
    erp: Side[ExportRecord], decls: Side[ExportDeclaration], group: Group, config: ReconcileConfig
) -> tuple[int, int] | None:
    if config.fx is None:
        return None
    erp_part, decl_part = group[0], group[1]
    fob = [decls.models[d].fob_krw for d in decl_part]
    if any(value is None for value in fob):
        return None
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 60
        for e in erp_part:
            rate = config.krw_rate(erp.currency[e])
            if rate is None:
                return None
            total += erp.models[e].amount * rate
        erp_krw = int(total.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return erp_krw, sum(value for value in fob if value is not None)


def assess(
    erp: Side[ExportRecord], decls: Side[ExportDeclaration], group: Group, config: ReconcileConfig
) -> Verdict:
    """Compare the ERP records and declarations of a linked group."""
    erp_part, decl_part, _, duplicate = group
    differing: list[str] = ["declaration_number"] if duplicate else []
    currencies = {erp.currency[e] for e in erp_part} | {decls.currency[d] for d in decl_part}
    used_fx = False
    amounts: tuple[int, int] | None
    if len(currencies) == 1:
        amounts = (sum(erp.minor[e] for e in erp_part), sum(decls.minor[d] for d in decl_part))
    else:
        amounts = _krw_totals(erp, decls, group, config)
        used_fx = amounts is not None
        if amounts is None:
            differing.append("currency")
    if len({erp.buyer[e] for e in erp_part} | {decls.buyer[d] for d in decl_part}) > 1:
        differing.append("buyer")
    if len({erp.country[e] for e in erp_part} | {decls.country[d] for d in decl_part}) > 1:
        differing.append("country")
    if amounts is not None and not within_tolerance(*amounts, config):
        differing.append("amount")
    return Verdict(differing=tuple(differing), fx=used_fx, reason=_reason(differing))

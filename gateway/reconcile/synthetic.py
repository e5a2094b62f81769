"""Deterministic synthetic ERP and customs data with known answers, for tests and benchmarks.

``generate(n, seed=...)`` makes ``n`` shipments over a year and returns the ERP records (minus a
random ``missing_pct`` % of invoices the ERP feed "forgot"), every declaration (customs is
complete), and the outcome each declaration must get. Shipments are a mix of: linked by
declaration number, by invoice number only (spelled differently on each side), by nothing
(buyer, date and amount only), split over 2-3 declarations, 2-3 invoices consolidated on one
declaration, invoiced in KRW but declared in USD (``fx`` holds the rate), and a few declarations
not shipped yet. Buyer names differ between the sides in case, punctuation and legal form.

Shipments of one buyer and currency within 35 days of each other differ in amount by more than
3 %: two shipments no matcher could tell apart are a separate, hand-written test case
(near-duplicates), not a property of generated data.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from typing import Final

from gateway.model import (
    Buyer,
    ExportDeclaration,
    ExportRecord,
    PaymentMethod,
    from_minor,
    minor_units,
)
from gateway.reconcile.outcome import MatchKind

USD_KRW: Final = Decimal("1350.50")
_WORDS: Final = ("Nordic", "Pacific", "Atlas", "Summit", "Delta", "Orion", "Vega", "Harbor",
                 "Sierra", "Lotus", "Crown", "Global", "Prime", "Unity", "Zenith", "Aurora")
_TRADES: Final = ("Steel", "Trading", "Motors", "Foods", "Textiles", "Chemicals", "Machinery")
_FORMS: Final = (("GmbH", "G.M.B.H."), ("Co., Ltd.", "CO LTD"), ("Inc.", "INC"), ("JSC", ""),
                 ("S.A.", "SA"), ("Limited", "LTD."), ("", "CORP"))
_COUNTRIES: Final = ("US", "DE", "VN", "JP", "CN", "AE", "MX", "IN", "FR", "BR")
_CURRENCIES: Final = ("USD", "USD", "USD", "EUR", "JPY", "CNY")
_HS: Final = ("8703239000", "7208510000", "8517130000", "3901100000", "8471300000")
_SPACING: Final = 35  # days within which one buyer's amounts are kept apart
_GAP: Final = Decimal("0.03")


@dataclass(frozen=True)
class Synthetic:
    """Generated inputs and the outcome each declaration must get."""

    erp: tuple[ExportRecord, ...]
    declarations: tuple[ExportDeclaration, ...]
    expected: MappingProxyType[str, MatchKind]  # declaration number -> kind
    dropped: frozenset[str]  # invoice numbers missing from the ERP feed
    fx: MappingProxyType[str, Decimal]
    as_of: date


@dataclass
class _State:
    rng: random.Random
    erp: list[ExportRecord] = field(default_factory=list)
    decls: list[ExportDeclaration] = field(default_factory=list)
    invoices_of: dict[str, list[str]] = field(default_factory=dict)  # decl -> invoices
    amounts: dict[tuple[int, str, int], list[int]] = field(
        default_factory=lambda: defaultdict(list))
    serial: int = 0


@dataclass(frozen=True)
class _Buyer:
    index: int
    erp_name: str
    customs_name: str
    country: str
    currency: str


def _buyers(rng: random.Random, count: int) -> list[_Buyer]:
    result = []
    for i in range(count):
        base = f"{rng.choice(_WORDS)} {rng.choice(_TRADES)} {i}"
        erp_form, customs_form = rng.choice(_FORMS)
        result.append(_Buyer(i, f"{base} {erp_form}".strip(),
                             f"{base.upper()} {customs_form}".strip(),
                             rng.choice(_COUNTRIES), rng.choice(_CURRENCIES)))
    return result


def _far_apart(state: _State, buyer: _Buyer, currency: str, day: int, minor: int) -> bool:
    for bucket in range(day // _SPACING - 1, day // _SPACING + 2):
        for other in state.amounts.get((buyer.index, currency, bucket), ()):
            if abs(other - minor) <= _GAP * max(other, minor):
                return False
    return True


def _amounts(state: _State, buyer: _Buyer, currency: str, day: int, count: int) -> list[int]:
    """``count`` amounts in minor units, each far from this buyer's nearby amounts."""
    scale = 150 if currency == "JPY" else 1
    chosen: list[int] = []
    for _ in range(count):
        for _attempt in range(200):
            major = state.rng.randrange(20_000, 400_000)
            minor = (major * 10 ** minor_units(currency) + state.rng.randrange(100)) * scale
            if _far_apart(state, buyer, currency, day, minor):
                break
        else:
            raise ValueError("synthetic amounts too dense: use fewer shipments per buyer")
        state.amounts[(buyer.index, currency, day // _SPACING)].append(minor)
        chosen.append(minor)
    return chosen


def _declaration_number(state: _State, day: date) -> str:
    state.serial += 1
    check = "ABCDEFGHJKLMNPQRSTUVWXYZ"[state.serial % 24]
    return f"{41000 + state.serial % 97:05d}{day.year % 100:02d}{state.serial:06d}{check}"


def _record(state: _State, buyer: _Buyer, invoice: str, day: date, currency: str, minor: int,
            declaration: str | None) -> ExportRecord:
    record = ExportRecord(
        source_ref=f"erp.csv:{len(state.erp) + 2}", invoice_number=invoice,
        invoice_date=day - timedelta(days=state.rng.randrange(3)), shipment_date=day,
        declaration_number=declaration, buyer=Buyer(name=buyer.erp_name, country=buyer.country),
        currency=currency, amount=from_minor(minor, currency),
        payment_method=state.rng.choice((PaymentMethod.OA, PaymentMethod.DA, PaymentMethod.LC)),
        tenor_days=state.rng.choice((30, 60, 90)), hs_code=state.rng.choice(_HS),
    )
    state.erp.append(record)
    return record


def _declaration(state: _State, buyer: _Buyer, number: str, day: date, currency: str,
                 minor: int, invoice: str | None, fob_krw: int | None = None) -> None:
    accepted = day - timedelta(days=state.rng.randrange(3))
    shipped = state.rng.random() >= 0.02
    state.decls.append(ExportDeclaration(
        source_ref=f"customs.csv:{len(state.decls) + 2}", declaration_number=number,
        acceptance_date=accepted, shipped=shipped,
        loading_date=day + timedelta(days=state.rng.randrange(4)) if shipped else None,
        buyer_name=buyer.customs_name, destination_country=buyer.country,
        hs_code=state.rng.choice(_HS), currency=currency, amount=from_minor(minor, currency),
        fob_krw=fob_krw, invoice_number=invoice,
    ))


def _shipment(state: _State, buyer: _Buyer, number: int, day: date) -> None:
    rng, ordinal = state.rng, day.toordinal()
    invoice = f"INV-{day.year}-{number:06d}"
    spelled = invoice.lower().replace("-", " ")  # how the broker typed it
    roll = rng.random()
    if roll < 0.08:  # split over 2-3 declarations sharing the invoice number
        parts = _amounts(state, buyer, buyer.currency, ordinal, rng.randrange(2, 4))
        decls = [_declaration_number(state, day) for _ in parts]
        _record(state, buyer, invoice, day, buyer.currency, sum(parts),
                decls[0] if rng.random() < 0.5 else None)
        for decl, part in zip(decls, parts, strict=True):
            _declaration(state, buyer, decl, day, buyer.currency, part, spelled)
            state.invoices_of[decl] = [invoice]
    elif roll < 0.14:  # 2-3 invoices consolidated on one declaration that they name
        decl = _declaration_number(state, day)
        invoices = [f"{invoice}-{k}" for k in range(rng.randrange(2, 4))]
        parts = _amounts(state, buyer, buyer.currency, ordinal, len(invoices))
        for inv, part in zip(invoices, parts, strict=True):
            _record(state, buyer, inv, day, buyer.currency, part, decl)
        _declaration(state, buyer, decl, day, buyer.currency, sum(parts), None)
        state.invoices_of[decl] = invoices
    elif roll < 0.17:  # invoiced in KRW, declared in USD with its FOB value in KRW
        decl = _declaration_number(state, day)
        (usd,) = _amounts(state, buyer, "USD", ordinal, 1)
        krw = int((from_minor(usd, "USD") * USD_KRW).quantize(Decimal(1), ROUND_HALF_EVEN))
        _record(state, buyer, invoice, day, "KRW", krw, decl)
        _declaration(state, buyer, decl, day, "USD", usd, None, fob_krw=krw)
        state.invoices_of[decl] = [invoice]
    else:  # one invoice, one declaration; keys on both sides, on one side, or none
        decl = _declaration_number(state, day)
        (minor,) = _amounts(state, buyer, buyer.currency, ordinal, 1)
        keys = rng.random()
        _record(state, buyer, invoice, day, buyer.currency, minor, decl if keys < 0.55 else None)
        _declaration(state, buyer, decl, day, buyer.currency, minor,
                     spelled if 0.55 <= keys < 0.8 else None)
        state.invoices_of[decl] = [invoice]


def generate(shipments: int, *, seed: int, missing_pct: int = 5,
             start: date = date(2025, 1, 1), days: int = 365) -> Synthetic:
    """``shipments`` generated shipments; the same ``seed`` gives the same data."""
    rng = random.Random(seed)  # noqa: S311 - synthetic test data, not a secret
    state = _State(rng=rng)
    buyers = _buyers(rng, max(8, shipments // 100))
    for number in range(shipments):
        day = start + timedelta(days=rng.randrange(days))
        _shipment(state, rng.choice(buyers), number, day)
    invoices = [r.invoice_number for r in state.erp]
    dropped = frozenset(rng.sample(invoices, round(len(invoices) * missing_pct / 100)))
    expected = {}
    for decl, its in state.invoices_of.items():
        missing = sum(inv in dropped for inv in its)
        expected[decl] = (MatchKind.MATCHED if missing == 0 else
                          MatchKind.CUSTOMS_ONLY if missing == len(its) else MatchKind.CONFLICT)
    return Synthetic(
        erp=tuple(r for r in state.erp if r.invoice_number not in dropped),
        declarations=tuple(state.decls), expected=MappingProxyType(expected), dropped=dropped,
        fx=MappingProxyType({"USD": USD_KRW}), as_of=start + timedelta(days=days + 5),
    )

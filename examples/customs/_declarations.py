"""The declarations behind the customs samples, derived from the sample ERP exports.

Every ERP invoice gets the declaration its row names (same number, invoice number, buyer,
country, currency and amount), with three deliberate differences for reconciliation to find:

- ``split``: the largest invoice (by value in won) left in two declarations (the ERP's number
  and a new one), its amount divided 60/40;
- ``unshipped``: the invoice shipped last is accepted by customs but not yet loaded;
- ``forgotten``: one more cleared, shipped declaration for a buyer the ERP knows, whose invoice
  the ERP export lacks (a missed notification).

Buyer names are written in capitals, as declarations carry them. All data is invented.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from gateway.examples.erp._generic import BUYERS, KOREAN_BUYERS, generic_rows

EXPORTER_ID: Final = "가온전자-1-19-1-01-3"
EXPORTER_NAME: Final = "가온전자(주)"
HS_SUFFIX: Final = {
    "8542.31": "1000",
    "8471.30": "0000",
    "8708.29": "9000",
    "8504.40": "9090",
    "3907.40": "0000",
}
PAYMENT: Final = {"L/C": "LS", "D/P": "DP", "D/A": "DA", "OA": "OA", "T/T": "TT"}
KRW_RATE: Final = {
    "USD": Decimal("1452.30"),
    "EUR": Decimal("1581.10"),
    "JPY": Decimal("9.4512"),
    "KRW": Decimal(1),
}
CARRIERS: Final = ("HDMU", "MAEU", "HLCU", "ONEY")
MINOR: Final = {
    "USD": Decimal("0.01"),
    "EUR": Decimal("0.01"),
    "JPY": Decimal(1),
    "KRW": Decimal(1),
}


@dataclass(frozen=True)
class Declaration:
    """One sample declaration; ``role`` says why it is there (never written to the files)."""

    number: str
    accepted: date
    loading: date | None
    exporter_id: str
    buyer_name: str
    buyer_code: str
    country: str
    hs_code: str
    payment: str
    currency: str
    amount: Decimal
    fob_krw: int
    invoice: str
    bl_number: str | None
    role: str = "matched"

    @property
    def shipped(self) -> bool:
        return self.loading is not None


def _fob(amount: Decimal, currency: str) -> int:
    return int((amount * KRW_RATE[currency]).to_integral_value(ROUND_HALF_UP))


def new_bl(rng: random.Random) -> str:
    return f"{rng.choice(CARRIERS)}{rng.randrange(10**9):09d}"


def _buyer_code(name: str, country: str) -> str:
    return f"{country}{zlib.crc32(name.encode('utf-8')) % 10**7:07d}"


def _from_invoice(rng: random.Random, row: dict[str, str]) -> Declaration:
    shipped = date.fromisoformat(row["ship_date"])
    earliest = shipped - timedelta(days=rng.choice((0, 1, 2)))
    accepted = max(date.fromisoformat(row["invoice_date"]), earliest)
    hs = row["hs_code"].replace(".", "") + HS_SUFFIX[row["hs_code"]]
    payment = PAYMENT[row["payment_terms"]]
    if payment == "LS" and rng.random() < 0.5:
        payment = "LU"
    amount = Decimal(row["amount"].replace(",", ""))
    return Declaration(
        number=row["export_declaration_no"].replace("-", ""),
        accepted=accepted,
        loading=shipped,
        exporter_id=EXPORTER_ID,
        buyer_name=row["buyer_name"].upper(),
        buyer_code=_buyer_code(row["buyer_name"], row["buyer_country"]),
        country=row["buyer_country"],
        hs_code=hs,
        payment=payment,
        currency=row["currency"],
        amount=amount,
        fob_krw=_fob(amount, row["currency"]),
        invoice=row["invoice_no"],
        bl_number=new_bl(rng),
    )


def _new_number(rng: random.Random, taken: set[str]) -> str:
    while True:
        number = f"4301726{rng.randrange(10**7):07d}"
        if number not in taken:
            taken.add(number)
            return number


def _split(rng: random.Random, whole: Declaration, taken: set[str]) -> list[Declaration]:
    first = (whole.amount * Decimal("0.6")).quantize(MINOR[whole.currency], ROUND_HALF_UP)
    second = whole.amount - first
    assert whole.loading is not None
    part_one = replace(whole, amount=first, fob_krw=_fob(first, whole.currency), role="split")
    part_two = replace(
        whole,
        number=_new_number(rng, taken),
        accepted=whole.accepted + timedelta(days=2),
        loading=whole.loading + timedelta(days=3),
        amount=second,
        fob_krw=_fob(second, whole.currency),
        bl_number=new_bl(rng),
        role="split",
    )
    return [part_one, part_two]


def _forgotten(
    rng: random.Random, buyer: tuple[object, ...], invoice: str, taken: set[str]
) -> Declaration:
    name, country, currency = str(buyer[0]), str(buyer[1]), str(buyer[5])
    amount = {"USD": Decimal("48260.00"), "KRW": Decimal(61_380_000)}[currency]
    return Declaration(
        number=_new_number(rng, taken),
        accepted=date(2026, 2, 19),  # the Thursday after Seollal
        loading=date(2026, 2, 20),
        exporter_id=EXPORTER_ID,
        buyer_name=name.upper(),
        buyer_code=_buyer_code(name, country),
        country=country,
        hs_code="8542311000",
        payment="TT",
        currency=currency,
        amount=amount,
        fob_krw=_fob(amount, currency),
        invoice=invoice,
        bl_number=new_bl(rng),
        role="forgotten",
    )


def declarations_for(
    rows: list[dict[str, str]], seed: int, forgotten_buyer: tuple[object, ...]
) -> list[Declaration]:
    """The declarations matching ERP ``rows``, with the split, unshipped and forgotten cases,
    sorted by acceptance date and number (the order of a customs download)."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    found = [_from_invoice(rng, row) for row in rows]
    taken = {d.number for d in found}
    split_at = max(range(len(found)), key=lambda i: found[i].amount * KRW_RATE[found[i].currency])
    late = max(
        (i for i in range(len(found)) if i != split_at),
        key=lambda i: (found[i].loading or found[i].accepted, i),
    )
    unshipped = found[late]
    assert unshipped.loading is not None
    found[late] = replace(
        unshipped,
        accepted=max(unshipped.accepted, unshipped.loading - timedelta(days=1)),
        loading=None,
        bl_number=None,
        role="unshipped",
    )
    result = found[:split_at] + _split(rng, found[split_at], taken) + found[split_at + 1 :]
    result.append(_forgotten(rng, forgotten_buyer, f"EX26-{len(rows) + 1:05d}", taken))
    return sorted(result, key=lambda d: (d.accepted, d.number))


def english_declarations() -> list[Declaration]:
    """The declarations of ``declarations.csv`` / ``.json`` (ERP ``sample_export.csv``)."""
    return declarations_for(generic_rows(), 3017, BUYERS[0])


def korean_declarations() -> list[Declaration]:
    """The declarations of ``declarations_kr.csv`` (ERP ``sample_export_cp949.csv``)."""
    return declarations_for(generic_rows(949, KOREAN_BUYERS), 4301, KOREAN_BUYERS[0])

"""``sap_billing_export.csv``: SAP SD billing documents with European number and date formats."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from gateway.examples.erp._generic import _csv

SAP_COLUMNS: Final = [
    "VKORG",
    "FKART",
    "VBELN",
    "FKDAT",
    "KUNAG",
    "NAME1",
    "LAND1",
    "STCD1",
    "WAERK",
    "NETWR",
    "ZTERM",
    "NETDT",
    "WADAT_IST",
    "INCO1",
    "STAWN",
    "ARKTX",
    "FKIMG",
    "VRKME",
    "NETPR",
]

# sold-to number, name, country, tax number, currency
SOLD_TO: Final = (
    ("0000100234", "Müller Maschinenbau GmbH", "DE", "DE812345678", "EUR"),
    ("0000100871", "Van der Berg Techniek B.V.", "NL", "NL001234567B01", "EUR"),
    ("0000200112", "Pacific Rim Traders LLC", "US", "94-1234567", "USD"),
    ("0000300045", "東京電機商事株式会社", "JP", "T1010001234567", "JPY"),
)
TERMS: Final = (("ZOA3", 30), ("ZOA6", 60), ("ZLC0", 45), ("ZDA6", 60), ("0001", 0))
MATERIALS: Final = (
    ("8501.52.20", "Drehstrommotor 15 kW"),
    ("8483.40.25", "Stirnradgetriebe"),
    ("8537.10.91", "Schaltschrank SPS"),
)


def _de(amount: Decimal, places: int) -> str:
    """German format: 1.234,56 (SAP with decimal notation 'X' off)."""
    text = f"{amount:,.{places}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _row(rng: random.Random, number: int, credit: bool = False) -> dict[str, str]:
    kunag, name, country, tax, currency = SOLD_TO[number % len(SOLD_TO)]
    zterm, days = TERMS[rng.randrange(len(TERMS))]
    stawn, text = MATERIALS[rng.randrange(len(MATERIALS))]
    places = 0 if currency == "JPY" else 2
    price = Decimal(rng.randrange(40_000, 900_000)).scaleb(-2).quantize(Decimal(1).scaleb(-places))
    if currency == "JPY":
        price *= 150
    quantity = Decimal(rng.randrange(1, 60))
    billed = date(2026, 2, 2) + timedelta(days=rng.randrange(0, 50))
    goods_issue = billed - timedelta(days=rng.randrange(0, 3))
    net = _de(price * quantity, places) + ("-" if credit else "")
    return {
        "VKORG": "1000",
        "FKART": "G2" if credit else "F2",
        "VBELN": f"00900{number:05d}",
        "FKDAT": billed.strftime("%d.%m.%Y"),
        "KUNAG": kunag,
        "NAME1": name,
        "LAND1": country,
        "STCD1": tax,
        "WAERK": currency,
        "NETWR": net,
        "ZTERM": zterm,
        "NETDT": (goods_issue + timedelta(days=days)).strftime("%d.%m.%Y"),
        "WADAT_IST": goods_issue.strftime("%d.%m.%Y"),
        "INCO1": rng.choice(("FCA", "CIP", "DAP")),
        "STAWN": stawn,
        "ARKTX": text,
        "FKIMG": _de(quantity, 3),
        "VRKME": "ST",
        "NETPR": _de(price, places),
    }


def sap_billing_export_csv() -> bytes:
    """Twelve invoices (F2) and one credit memo (G2, quarantined: amount not positive)."""
    rng = random.Random(1000)  # noqa: S311 - sample data, not security
    rows = [_row(rng, n) for n in range(1, 13)]
    rows.insert(7, _row(rng, 13, credit=True))
    text: str = _csv(rows, SAP_COLUMNS, delimiter=";")
    return b"\xef\xbb\xbf" + text.encode("utf-8")

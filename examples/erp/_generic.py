"""Generic-mapping samples: ``sample_export.csv``, its CP949 twin and ``sample_export.jsonl``.

The buyers, invoices and amounts are invented. ``sample_export.csv`` is built so that three
buyers each have four or more invoices in one currency falling due in the same month (April
2026), which lets aggregation buckets reach k = 3 in the demo.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

GENERIC_COLUMNS: Final = [
    "invoice_no",
    "invoice_date",
    "ship_date",
    "export_declaration_no",
    "buyer_name",
    "buyer_country",
    "buyer_reg_no",
    "buyer_code",
    "buyer_address",
    "currency",
    "amount",
    "payment_terms",
    "due_date",
    "tenor_days",
    "incoterms",
    "hs_code",
    "description",
    "unit_price",
    "quantity",
]

# name, country, registration id, insurer buyer code, address, currency, invoices, bucket rows
BUYERS: Final = (
    (
        "Hanoi Precision Parts JSC",
        "VN",
        "0101234567",
        "VN-0043127",
        "Lot B4, Thang Long IP, Hanoi",
        "USD",
        8,
        5,
    ),
    (
        "Müller Maschinenbau GmbH",
        "DE",
        "DE812345678",
        "DE-1180442",
        "Industriestraße 12\n70565 Stuttgart",
        "EUR",
        7,
        4,
    ),
    (
        "코리아텍 베트남 유한회사",
        "VN",
        "3702345678",
        "VN-0051880",
        "Binh Duong, Thuan An",
        "KRW",
        6,
        4,
    ),
    (
        "東京電機商事株式会社",
        "JP",
        "T1010001234567",
        "JP-2200913",
        "東京都港区芝浦1-2-3",
        "JPY",
        5,
        0,
    ),
    (
        "Pacific Rim Traders LLC",
        "US",
        "EIN 94-1234567",
        "US-7731020",
        "Long Beach, CA",
        "USD",
        5,
        0,
    ),
    ("한빛전자 아메리카 Inc.", "US", "EIN 27-7654321", "", "Irvine, CA 92618", "USD", 5, 0),
    (
        "Ferreira Importação Ltda",
        "BR",
        "12.345.678/0001-90",
        "BR-0310077",
        "São Paulo, SP",
        "USD",
        4,
        0,
    ),
)
PRODUCTS: Final = (
    ("8542.31", "Integrated circuits, processors"),
    ("8471.30", "Portable computers"),
    ("8708.29", "Body parts for motor vehicles"),
    ("8504.40", "Static converters"),
    ("3907.40", "Polycarbonate resin"),
)
PRICE: Final = {
    "USD": (Decimal("12.50"), Decimal("950.00")),
    "EUR": (Decimal("9.90"), Decimal("880.00")),
    "KRW": (Decimal(15000), Decimal(1200000)),
    "JPY": (Decimal(1800), Decimal(140000)),
}
TERMS: Final = ("T/T", "L/C", "D/A", "OA", "D/P")
INCOTERMS: Final = ("FOB", "CIF", "FCA", "DAP", "EXW")
BUCKET_DUE: Final = date(2026, 4, 30)


def _money(amount: Decimal, currency: str, grouped: bool) -> str:
    text = f"{amount:,.{0 if currency in ('KRW', 'JPY') else 2}f}"
    return text if grouped else text.replace(",", "")


def _invoice(
    rng: random.Random, number: int, buyer: tuple[Any, ...], in_bucket: bool
) -> dict[str, str]:
    name, country, reg, code, address, currency = buyer[:6]
    hs, text = PRODUCTS[rng.randrange(len(PRODUCTS))]
    low, high = PRICE[currency]
    step = Decimal("0.01") if currency in ("USD", "EUR") else Decimal(100)
    price = (low + (high - low) * Decimal(rng.randrange(1000)) / 1000).quantize(step)
    quantity = rng.randrange(10, 400)
    invoiced = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 60))
    shipped = invoiced + timedelta(days=rng.randrange(0, 4))
    due: date | None
    due, tenor = (
        (BUCKET_DUE, "") if in_bucket else (shipped + timedelta(days=rng.choice((60, 90, 120))), "")
    )
    if not in_bucket and rng.random() < 0.3:
        due, tenor = None, str(rng.choice((30, 60, 90)))
    return {
        "invoice_no": f"EX26-{number:05d}",
        "invoice_date": invoiced.isoformat(),
        "ship_date": shipped.isoformat(),
        "export_declaration_no": f"43017-26-{rng.randrange(10**7):07d}",
        "buyer_name": name,
        "buyer_country": country,
        "buyer_reg_no": reg,
        "buyer_code": code,
        "buyer_address": address,
        "currency": currency,
        "amount": _money(price * quantity, currency, rng.random() < 0.5),
        "payment_terms": rng.choice(TERMS),
        "due_date": due.isoformat() if due else "",
        "tenor_days": tenor,
        "incoterms": rng.choice(INCOTERMS),
        "hs_code": hs,
        "description": text,
        "unit_price": str(price),
        "quantity": str(quantity),
    }


def generic_rows(
    seed: int = 2026, buyers: tuple[tuple[Any, ...], ...] = BUYERS
) -> list[dict[str, str]]:
    """The invoices of ``sample_export.csv`` in file order."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    rows: list[dict[str, str]] = []
    for buyer in buyers:
        for i in range(buyer[6]):
            rows.append(_invoice(rng, len(rows) + 1, buyer, i < buyer[7]))
    rng.shuffle(rows)
    return rows


def _csv(rows: list[dict[str, str]], columns: list[str], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


KOREAN_BUYERS: Final = (
    ("코리아텍 베트남 유한회사", "VN", "3702345678", "VN-0051880", "빈즈엉성 투안안", "KRW", 6, 4),
    ("한빛전자 아메리카", "US", "EIN 27-7654321", "", "어바인, 캘리포니아", "USD", 5, 4),
    ("똠양꿍 푸드 태국 지점", "TH", "0105561234567", "TH-0020145", "방콕 수쿰빗로 55", "USD", 5, 0),
    ("대한정밀 독일 법인", "DE", "DE298765432", "DE-1190021", "프랑크푸르트", "EUR", 4, 0),
)


def sample_export_csv() -> bytes:
    return _csv(generic_rows(), GENERIC_COLUMNS).encode("utf-8")


def sample_export_cp949_csv() -> bytes:
    return _csv(generic_rows(949, KOREAN_BUYERS), GENERIC_COLUMNS).encode("cp949")


def _jsonl_record(row: dict[str, str]) -> str:
    """One generic row in canonical JSON form; amounts as JSON numbers, written digit for digit."""
    record: dict[str, Any] = {
        "invoice_number": row["invoice_no"],
        "invoice_date": row["invoice_date"],
        "shipment_date": row["ship_date"],
        "declaration_number": row["export_declaration_no"],
        "buyer": {
            "name": row["buyer_name"],
            "country": row["buyer_country"],
            "registration_id": row["buyer_reg_no"] or None,
        },
        "currency": row["currency"],
        "amount": "@AMOUNT@",
        "payment_method": row["payment_terms"].replace("/", ""),
        "due_date": row["due_date"] or None,
        "tenor_days": int(row["tenor_days"]) if row["tenor_days"] else None,
        "incoterms": row["incoterms"],
        "hs_code": row["hs_code"],
        "description": row["description"],
        "line_items": [
            {
                "description": row["description"],
                "quantity": int(row["quantity"]),
                "unit_price": "@PRICE@",
            }
        ],
    }
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    text = text.replace('"@AMOUNT@"', row["amount"].replace(",", ""))
    return text.replace('"@PRICE@"', row["unit_price"])


def sample_export_jsonl() -> bytes:
    return "".join(_jsonl_record(r) + "\n" for r in generic_rows()[:12]).encode("utf-8")

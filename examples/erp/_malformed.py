"""``malformed_export.csv``: one row per defect, CP949-encoded (see README.md for the list)."""

from __future__ import annotations

import csv
import io
from typing import Final

from gateway.examples.erp._generic import GENERIC_COLUMNS

GOOD: Final = {
    "invoice_no": "EX26-90001",
    "invoice_date": "2026-03-02",
    "ship_date": "2026-03-03",
    "export_declaration_no": "43017-26-0090001",
    "buyer_name": "코리아텍 베트남 유한회사",
    "buyer_country": "VN",
    "buyer_reg_no": "3702345678",
    "buyer_code": "VN-0051880",
    "buyer_address": "빈즈엉성 투안안",
    "currency": "USD",
    "amount": "12,500.00",
    "payment_terms": "T/T",
    "due_date": "2026-05-02",
    "tenor_days": "",
    "incoterms": "FOB",
    "hs_code": "8542.31",
    "description": "Integrated circuits",
    "unit_price": "125.00",
    "quantity": "100",
}
# invoice number suffix, changed columns; one defect each, in file order (lines 2 to 11).
DEFECTS: Final[tuple[tuple[str, dict[str, str]], ...]] = (
    ("01", {}),  # the one good row
    ("02", {"amount": ""}),
    ("03", {"amount": "12.500,00"}),
    ("04", {"currency": "WON"}),
    ("05", {"buyer_country": "Korea"}),
    ("06", {"currency": "KRW", "amount": "1500000.50", "unit_price": "15000.005"}),
    ("07", {"invoice_date": "2026-02-30"}),
    ("08", {"buyer_name": "\x00BADBYTE\x00"}),  # replaced by an invalid CP949 byte below
    ("09", {}),  # one column short
    ("10", {"due_date": "2026-02-01"}),
)
BAD_BYTE: Final = b"\x80"


def _line(values: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue().encode("cp949")


def malformed_export_csv() -> bytes:
    lines = [_line(GENERIC_COLUMNS)]
    for suffix, changes in DEFECTS:
        row = {**GOOD, "invoice_no": f"EX26-900{suffix}", **changes}
        values = [row[column] for column in GENERIC_COLUMNS]
        if suffix == "09":
            values = values[:-1]
        line = _line(values)
        lines.append(line.replace(b"\x00BADBYTE\x00", b"Korea Tech " + BAD_BYTE + b"Vina"))
    return b"".join(lines)

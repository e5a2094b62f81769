"""The receivables sample: ``receivables.csv`` (ERP open items, ``receivables`` mapping).

Invented data for the buyers of ``sample_export.csv``: every 2026 invoice of that export as an
open item (outstanding in full, nothing due before the export's last shipment), plus seven 2025
invoices whose payment history exercises the continuing-export guard (30 days' limit):

- Ferreira Importação: EX25-00371 due 2025-12-20, still unpaid. Its shipments of 24 January
  (35 days overdue), 9 February and 24 February are warned about; 8 January (19 days) is not.
- Hanoi Precision Parts: EX25-00398 due 2025-12-31, paid 2026-02-09. The shipments of 29 and
  30 January (29 and 30 days overdue) are not warned about, 6 February (37 days) is, and the
  shipments after the payment are not.
- Müller Maschinenbau, Pacific Rim Traders, 한빛전자 and 코리아텍: paid before their next
  shipment; 東京電機商事: partly paid (an open remainder, no paid date) but never more than 30
  days overdue on a shipment date. No warnings.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Final

from gateway.examples.erp._generic import generic_rows

RECEIVABLE_COLUMNS: Final = [
    "invoice_no",
    "buyer_name",
    "buyer_code",
    "currency",
    "outstanding",
    "due_date",
    "paid_date",
]

# invoice | buyer name | buyer code | currency | outstanding | due date | paid date
_PRIOR: Final = """
EX25-00371|Ferreira Importação Ltda|BR-0310077|USD|64,200.00|2025-12-20|
EX25-00377|Pacific Rim Traders LLC|US-7731020|USD|0|2025-11-30|2025-12-22
EX25-00383|한빛전자 아메리카 Inc.||USD|0|2025-12-10|2025-12-09
EX25-00390|東京電機商事株式会社|JP-2200913|JPY|3,000,000|2026-01-20|
EX25-00398|Hanoi Precision Parts JSC|VN-0043127|USD|0|2025-12-31|2026-02-09
EX25-00405|Müller Maschinenbau GmbH|DE-1180442|EUR|0|2025-12-05|2026-01-05
EX25-00411|코리아텍 베트남 유한회사|VN-0051880|KRW|0|2025-12-28|2026-01-12
"""
PRIOR_INVOICES: Final = tuple(tuple(line.split("|")) for line in _PRIOR.strip().splitlines())


def _open_item(row: dict[str, str]) -> dict[str, str]:
    """A 2026 invoice of ``sample_export.csv`` as an open item, outstanding in full."""
    due = row["due_date"]
    if not due:
        shipped = date.fromisoformat(row["ship_date"])
        due = (shipped + timedelta(days=int(row["tenor_days"]))).isoformat()
    return {
        "invoice_no": row["invoice_no"],
        "buyer_name": row["buyer_name"],
        "buyer_code": row["buyer_code"],
        "currency": row["currency"],
        "outstanding": row["amount"],
        "due_date": due,
        "paid_date": "",
    }


def receivables_rows() -> list[dict[str, str]]:
    """The rows of ``receivables.csv`` in file order."""
    prior = [dict(zip(RECEIVABLE_COLUMNS, values, strict=True)) for values in PRIOR_INVOICES]
    current = sorted((_open_item(r) for r in generic_rows()), key=lambda r: r["invoice_no"])
    return prior + current


def receivables_csv() -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, RECEIVABLE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(receivables_rows())
    return out.getvalue().encode("utf-8")

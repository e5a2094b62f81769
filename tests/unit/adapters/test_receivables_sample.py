"""The shipped receivables sample reads cleanly, matches the sample export's buyers, and makes
the continuing-export guard fire exactly where its generator's docstring says."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from gateway.adapters.erp import CsvSource, builtin_mapping
from gateway.adapters.erp.receivables import ReceivablesCsvSource, builtin_receivables_mapping
from gateway.examples.erp._receivables import receivables_csv
from gateway.guard import Receivable, buyer_key, continuing_export_warnings
from gateway.model import ExportRecord

SAMPLE_DIR = Path(str(resources.files("gateway.examples.erp")))


def receivables() -> list[Receivable]:
    source = ReceivablesCsvSource(SAMPLE_DIR / "receivables.csv", builtin_receivables_mapping())
    items = list(source)
    assert all(isinstance(i, Receivable) for i in items)
    return [i for i in items if isinstance(i, Receivable)]


def records() -> list[ExportRecord]:
    items = CsvSource(SAMPLE_DIR / "sample_export.csv", builtin_mapping("generic"))
    return [i for i in items if isinstance(i, ExportRecord)]


def test_the_committed_file_is_what_the_generator_writes() -> None:
    assert (SAMPLE_DIR / "receivables.csv").read_bytes() == receivables_csv()


def test_every_sample_invoice_is_an_open_item_of_a_known_buyer() -> None:
    book = receivables()
    sales = records()
    assert len(book) == len(sales) + 7
    assert {r.buyer_key for r in book} == {buyer_key(r.buyer.name) for r in sales}
    open_items = {r.invoice_number: r for r in book if r.invoice_number.startswith("EX26-")}
    for record in sales:
        item = open_items[record.invoice_number]
        assert (item.currency, item.outstanding_minor) == (record.currency, record.amount_minor)
        assert item.due_date == record.maturity and item.paid_on is None


def test_the_guard_fires_for_the_overdue_buyers_in_the_demo() -> None:
    shipments = [
        (r.invoice_number, buyer_key(r.buyer.name, r.buyer.insurer_code), r.shipment_date)
        for r in sorted(records(), key=lambda r: (r.shipment_date, r.invoice_number))
    ]
    warnings = continuing_export_warnings(shipments, receivables())
    assert [(w.ref, w.shipment_date, w.overdue_invoices, w.max_days_overdue) for w in warnings] == [
        ("EX26-00037", date(2026, 1, 24), ("EX25-00371",), 35),
        ("EX26-00001", date(2026, 2, 6), ("EX25-00398",), 37),
        ("EX26-00040", date(2026, 2, 9), ("EX25-00371",), 51),
        ("EX26-00038", date(2026, 2, 24), ("EX25-00371",), 66),
    ]

"""A generated ERP export (generic mapping) whose every row's intended fate is known.

Rows are invented. Most are meant to be attached; a few are meant to be withheld by the default
policy (a currency it has no bands for) or quarantined (a buyer in the exporter's own country,
or a due date before the shipment date, which ingest refuses). Rows never span lines, so a row's
physical line is its index + 2 (the header is line 1), which is how the store's quarantine
names it. Between crash runs rows are appended, or a row is modified in place (a new version);
the file is replaced atomically so a sync never reads half a file.
"""

from __future__ import annotations

import csv
import io
import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Final

COLUMNS: Final = (
    "invoice_no",
    "invoice_date",
    "ship_date",
    "buyer_name",
    "buyer_country",
    "currency",
    "amount",
    "payment_terms",
    "due_date",
    "incoterms",
    "hs_code",
    "description",
)
# Few buyers, so that aggregation buckets reach the default policy's k.
BUYERS: Final = (
    ("Hanoi Precision Parts JSC", "VN", "USD"),
    ("Müller Maschinenbau GmbH", "DE", "EUR"),
    ("Pacific Rim Traders LLC", "US", "USD"),
    ("Ferreira Importação Ltda", "BR", "USD"),
    ("Lyon Composants SARL", "FR", "EUR"),
    ("Delta Electronics Pte Ltd", "SG", "USD"),
)
DOMESTIC_BUYER: Final = ("한빛전자 주식회사", "KR", "USD")
PRODUCTS: Final = (("8542.31", "Integrated circuits"), ("8504.40", "Static converters"))
TERMS: Final = ("OA", "L/C", "D/A", "D/P")
FIRST_SHIPMENT: Final = date(2026, 1, 5)


class Intent(StrEnum):
    """What the default policy and ingest are expected to do with a row."""

    ATTACH = "attach"
    WITHHOLD = "withhold"  # currency.not_banded
    QUARANTINE = "quarantine"  # policy buyer.domestic, or ingest due_date < ship_date


@dataclass
class Row:
    """One invoice row and how often it was changed since it was first written."""

    values: dict[str, str]
    intent: Intent
    revisions: int = 1

    @property
    def invoice(self) -> str:
        return self.values["invoice_no"]


@dataclass
class Export:
    """The export file and the rows it holds, in file order."""

    path: Path
    rng: random.Random
    rows: list[Row] = field(default_factory=list)
    withhold_rate: float = 0.04
    quarantine_rate: float = 0.03

    def append(self, count: int) -> list[Row]:
        """Add ``count`` new rows with fresh invoice numbers (not yet written)."""
        added = [self._new_row(len(self.rows) + i) for i in range(count)]
        self.rows.extend(added)
        return added

    def modify(self, count: int) -> list[Row]:
        """Change ``count`` attachable rows: a later due date and another amount."""
        candidates = [r for r in self.rows if r.intent is Intent.ATTACH]
        changed = self.rng.sample(candidates, min(count, len(candidates)))
        for row in changed:
            due = date.fromisoformat(row.values["due_date"]) + timedelta(
                days=self.rng.randint(1, 20)
            )
            row.values["due_date"] = due.isoformat()
            row.values["amount"] = self._amount()
            row.revisions += 1
        return changed

    def write(self) -> None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row.values for row in self.rows)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(buffer.getvalue(), encoding="utf-8")
        os.replace(temporary, self.path)

    def line_of(self, index: int) -> int:
        return index + 2

    def _amount(self) -> str:
        """An amount with two decimals (every currency the generator uses has them)."""
        return format(Decimal(self.rng.randint(1_000_00, 400_000_00)) / 100, "f")

    def _new_row(self, index: int) -> Row:
        draw = self.rng.random()
        intent = Intent.ATTACH
        if draw < self.withhold_rate:
            intent = Intent.WITHHOLD
        elif draw < self.withhold_rate + self.quarantine_rate:
            intent = Intent.QUARANTINE
        buyer, country, currency = self.rng.choice(BUYERS)
        shipped = FIRST_SHIPMENT + timedelta(days=self.rng.randint(0, 80))
        due = shipped + timedelta(days=self.rng.randint(30, 150))
        if intent is Intent.WITHHOLD:
            currency = "CHF"
        elif intent is Intent.QUARANTINE and self.rng.random() < 0.5:
            buyer, country, currency = DOMESTIC_BUYER
        elif intent is Intent.QUARANTINE:
            due = shipped - timedelta(days=self.rng.randint(1, 10))
        hs_code, description = self.rng.choice(PRODUCTS)
        values = {
            "invoice_no": f"CR-{index + 1:06d}",
            "invoice_date": (shipped - timedelta(days=self.rng.randint(0, 5))).isoformat(),
            "ship_date": shipped.isoformat(),
            "buyer_name": buyer,
            "buyer_country": country,
            "currency": currency,
            "amount": self._amount(),
            "payment_terms": self.rng.choice(TERMS),
            "due_date": due.isoformat(),
            "incoterms": self.rng.choice(("FOB", "CIF", "DAP")),
            "hs_code": hs_code,
            "description": description,
        }
        return Row(values, intent)


def new_export(path: Path, records: int, rng: random.Random) -> Export:
    """An export of ``records`` rows, written to ``path``."""
    export = Export(path, rng)
    export.append(records)
    export.write()
    return export

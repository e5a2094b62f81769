"""Generate an ERP export and the matching customs export declarations, of any size.

Run from the repository root::

    python benchmarks/erp_data.py 1000000 --out bench-data/   # erp.csv and customs.csv

The files use the shipped ``generic`` ERP mapping and the ``customs_en`` customs mapping, so
``gateway sync`` reads them as it reads any exporter's files. Rows are written as they are
generated: memory stays flat whatever the size.

The data are deterministic for a seed and shaped like a large exporter's book:

- 500 buyers in 24 countries, each with its insurer buyer code, paying in USD, EUR or JPY;
- invoices over one year, due 30 to 180 days after shipment;
- 94 % of shipments appear in both files, linked by the export declaration number;
- 3 % are missing from the ERP export (the forgotten shipments customs catches);
- 3 % are in the ERP export with no declaration yet (they stay pending).

``expected`` gives the counts a sync must report, so the benchmark checks its own answer.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ERP_COLUMNS = (
    "invoice_no", "invoice_date", "ship_date", "export_declaration_no", "buyer_name",
    "buyer_country", "buyer_reg_no", "buyer_code", "buyer_address", "currency", "amount",
    "payment_terms", "due_date", "tenor_days", "incoterms", "hs_code", "description",
    "unit_price", "quantity",
)
CUSTOMS_COLUMNS = (
    "declaration_no", "acceptance_date", "loading_date", "shipped", "exporter_id", "buyer_name",
    "buyer_code", "destination_country", "hs_code", "payment_method", "currency", "amount",
    "fob_krw", "invoice_no", "bl_no",
)
COUNTRIES = ("US", "DE", "JP", "CN", "VN", "FR", "GB", "IT", "NL", "ES", "BR", "MX", "IN",
             "ID", "TH", "MY", "PH", "AU", "CA", "PL", "TR", "AE", "SA", "CL")
CURRENCIES = ("USD", "EUR", "JPY")
TERMS = (("L/C", "LC"), ("D/P", "DP"), ("D/A", "DA"), ("O/A", "OA"), ("T/T", "TT"))
HS = (("8504.40", "8504400000", "Static converters"), ("8708.29", "8708299000", "Car body parts"),
      ("8471.30", "8471300000", "Portable computers"), ("7208.51", "7208510000", "Steel plate"),
      ("3901.10", "3901100000", "Polyethylene"))
KRW_PER = {"USD": 1350, "EUR": 1470, "JPY": 9}
START = date(2026, 1, 1)
#: The day the benchmark reconciles as of: every shipment is at least a week old.
AS_OF = date(2027, 1, 10)


@dataclass(frozen=True)
class Expected:
    shipments: int
    erp_rows: int
    customs_rows: int
    erp_only: int
    customs_only: int


def _buyers(rng: random.Random, count: int) -> list[tuple[str, str, str, str, str]]:
    words = ("Nordic", "Pacific", "Atlas", "Summit", "Delta", "Orion", "Vega", "Harbor",
             "Sierra", "Lotus", "Crown", "Global", "Prime", "Unity", "Zenith", "Aurora")
    trades = ("Steel", "Trading", "Motors", "Foods", "Textiles", "Chemicals", "Machinery")
    out = []
    for i in range(count):
        country = COUNTRIES[i % len(COUNTRIES)]
        name = f"{rng.choice(words)} {rng.choice(trades)} {i:04d} Ltd"
        out.append((name, country, f"{country}{rng.randrange(10**8):08d}",
                    f"{country}-{i:07d}", rng.choice(CURRENCIES)))
    return out


def generate(shipments: int, out: Path, *, seed: int = 8) -> Expected:
    """Write ``erp.csv`` and ``customs.csv`` for ``shipments`` shipments into ``out``."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    buyers = _buyers(rng, 500)
    out.mkdir(parents=True, exist_ok=True)
    erp_rows = customs_rows = erp_only = customs_only = 0
    with (out / "erp.csv").open("w", newline="", encoding="utf-8") as erp_file, \
            (out / "customs.csv").open("w", newline="", encoding="utf-8") as customs_file:
        erp = csv.writer(erp_file)
        customs = csv.writer(customs_file)
        erp.writerow(ERP_COLUMNS)
        customs.writerow(CUSTOMS_COLUMNS)
        for i in range(shipments):
            name, country, reg, code, currency = buyers[rng.randrange(len(buyers))]
            shipped = START + timedelta(days=i * 358 // max(shipments, 1))
            invoiced = shipped - timedelta(days=rng.randrange(4))
            due = shipped + timedelta(days=rng.choice((30, 60, 90, 120, 180)))
            quantity = rng.randrange(1, 400)
            unit = rng.randrange(100, 2_000_000) if currency == "JPY" else rng.randrange(
                100, 500_000)
            minor = quantity * unit
            amount = f"{minor}" if currency == "JPY" else f"{minor // 100}.{minor % 100:02d}"
            unit_text = f"{unit}" if currency == "JPY" else f"{unit // 100}.{unit % 100:02d}"
            terms, method = TERMS[rng.randrange(len(TERMS))]
            hs, hs10, description = HS[rng.randrange(len(HS))]
            declaration = f"43017{shipped:%y}{i:07d}"
            invoice = f"EX{shipped:%y}-{i:07d}"
            roll = rng.random()
            if roll >= 0.03:  # in the ERP export
                erp.writerow((
                    invoice, invoiced.isoformat(), shipped.isoformat(),
                    "" if roll >= 0.97 else f"{declaration[:5]}-{declaration[5:7]}-"
                    f"{declaration[7:]}", name, country, reg, code, "", currency, amount, terms,
                    due.isoformat(), "", "FOB", hs, description, unit_text, quantity,
                ))
                erp_rows += 1
            else:
                customs_only += 1
            if roll < 0.97:  # declared
                krw = minor * KRW_PER[currency] // (1 if currency == "JPY" else 100)
                customs.writerow((
                    declaration, shipped.isoformat(), shipped.isoformat(), "Y",
                    "EXPORTER-1", name.upper(), code, country, hs10, method, currency, amount,
                    krw, invoice, f"MAEU{i:09d}",
                ))
                customs_rows += 1
            else:
                erp_only += 1
    return Expected(shipments, erp_rows, customs_rows, erp_only, customs_only)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("shipments", type=int)
    parser.add_argument("--out", type=Path, default=Path("bench-data"))
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    print(generate(args.shipments, args.out, seed=args.seed))


if __name__ == "__main__":
    main()

"""Regenerate the sample ERP exports in this directory (deterministic: same bytes every run).

    python -m gateway.examples.erp.make_samples [OUTPUT_DIR]

See README.md in this directory for what each file holds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

from gateway.examples.erp._generic import (
    sample_export_cp949_csv,
    sample_export_csv,
    sample_export_jsonl,
)
from gateway.examples.erp._malformed import malformed_export_csv
from gateway.examples.erp._receivables import receivables_csv
from gateway.examples.erp._sap import sap_billing_export_csv

SAMPLES: Final[dict[str, Callable[[], bytes]]] = {
    "sample_export.csv": sample_export_csv,
    "sample_export_cp949.csv": sample_export_cp949_csv,
    "sap_billing_export.csv": sap_billing_export_csv,
    "sample_export.jsonl": sample_export_jsonl,
    "malformed_export.csv": malformed_export_csv,
    "receivables.csv": receivables_csv,
}


def write_samples(directory: Path) -> list[Path]:
    """Write every sample into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in SAMPLES.items():
        path = directory / name
        path.write_bytes(build())
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(__file__).resolve().parent
    for path in write_samples(target):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

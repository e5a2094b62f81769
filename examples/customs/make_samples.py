"""Regenerate the sample customs files in this directory (deterministic: same bytes every run).

    python -m gateway.examples.customs.make_samples [OUTPUT_DIR]

See README.md in this directory for what each file holds and how it matches the ERP samples.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

from gateway.examples.customs._declarations import english_declarations, korean_declarations
from gateway.examples.customs._render import english_csv, json_array, korean_csv, unipass_xml


def declarations_kr_csv() -> bytes:
    return korean_csv(korean_declarations())


def declarations_csv() -> bytes:
    return english_csv(english_declarations())


def declarations_json() -> bytes:
    return json_array(english_declarations())


def unipass_export_status_xml() -> bytes:
    return unipass_xml(english_declarations())


SAMPLES: Final[dict[str, Callable[[], bytes]]] = {
    "declarations_kr.csv": declarations_kr_csv,
    "declarations.csv": declarations_csv,
    "declarations.json": declarations_json,
    "unipass_export_status.xml": unipass_export_status_xml,
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

"""Fuzz target: arbitrary bytes as a CSV export read by ``CsvSource`` with the generic mapping.

Input layout: the first byte picks the declared encoding (``auto``, ``utf-8``, ``cp949``,
``euc-kr``), the rest is written to a file and read to the end. The only acceptable failures are
the gateway's own :class:`~gateway.errors.GatewayError` subclasses; anything else escapes and is
a crash. Three properties are checked on every input as well:

- no U+FFFD reaches a record or a quarantined row unless the file itself holds one (decoding is
  strict: a bad byte quarantines the row, it is never replaced);
- row numbers are positive, increase, and every item is a record or a quarantined row;
- a quarantine reason never quotes a cell of its row (values may be trade secrets). Column
  and field names, which reasons do name, are taken out of the reason before the comparison, so
  a cell that happens to spell a column name is not reported.

The row limit is the smallest the gateway accepts (1,024 bytes) so short inputs reach the
overlong-row path. Used by the pytest replay (``tests/fuzz/test_fuzz_replay.py``) and by
atheris (``tests/fuzz/run.py csv``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from gateway.adapters.erp import CsvSource, builtin_mapping
from gateway.errors import GatewayError
from gateway.ingest import CANONICAL_FIELDS, Quarantined
from gateway.limits import Limits
from gateway.model import ExportRecord

ENCODINGS: Final = ("auto", "utf-8", "cp949", "euc-kr")
_CODEC: Final = {"auto": "utf-8", "utf-8": "utf-8", "cp949": "cp949", "euc-kr": "euc_kr"}
LIMITS: Final = Limits(max_row_bytes=1024, max_field_chars=64)
#: Cells shorter than this may coincide with words of a reason ("amount", "LC"): not checked.
_QUOTE_MIN: Final = 12


class FuzzFailure(AssertionError):
    """A property of the CSV source does not hold for this input (a crash for the fuzzer)."""


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


class CsvTarget:
    """Reads each input through the scratch file ``path`` (overwritten); ``__call__`` is the
    target."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.mapping = builtin_mapping("generic")
        names = {*self.mapping.source_columns(), *CANONICAL_FIELDS}
        self.names = sorted(names, key=len, reverse=True)

    def __call__(self, data: bytes) -> str:
        """Run one input; returns an outcome label, raises on a crash or a broken property."""
        if not data:
            return "empty"
        encoding = ENCODINGS[data[0] % len(ENCODINGS)]
        body = data[1:]
        self.path.write_bytes(body)
        source = CsvSource(self.path, self.mapping, encoding=encoding, limits=LIMITS)
        try:
            items = list(source)
        except GatewayError as exc:
            return f"refused:{type(exc).__name__}"
        self._check(items, body, encoding)
        records = sum(isinstance(item, ExportRecord) for item in items)
        return f"read:{records}:{len(items) - records}"

    def _check(
        self, items: Sequence[ExportRecord | Quarantined], body: bytes, encoding: str
    ) -> None:
        had_fffd = "\ufffd" in body.decode(_CODEC[encoding], errors="ignore")
        last_row = 1
        for item in items:
            if isinstance(item, Quarantined):
                row, texts = item.row, [item.reason, item.field, *_strings(item.raw)]
                self._check_reason(item)
            elif isinstance(item, ExportRecord):
                row = int(item.source_ref.rsplit(":", 1)[1])
                texts = _strings(json.loads(item.model_dump_json()))
            else:
                raise FuzzFailure(f"unexpected item type {type(item).__name__}")
            if row <= last_row:
                raise FuzzFailure(f"row number {row} does not follow {last_row}")
            last_row = row
            if not had_fffd and any("\ufffd" in text for text in texts):
                raise FuzzFailure(f"row {row}: a replacement character was produced")

    def _check_reason(self, item: Quarantined) -> None:
        reason = item.reason
        for name in self.names:
            reason = reason.replace(name, "")
        for cell in _strings(item.raw):
            if len(cell.strip()) >= _QUOTE_MIN and cell.strip() in reason:
                raise FuzzFailure(f"row {item.row}: the quarantine reason quotes a cell")

"""CSV for humans: tables the CLI writes for spreadsheets, safe against formula injection.

A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula (and some
also after a leading tab or carriage return), so a source file name, a column name, an
insurer's error text or any other text that reaches a report could run ``=HYPERLINK(...)`` or
worse on the reader's machine (CWE-1236). Every *text* cell that starts with one of those
characters gets a leading ``'``, which spreadsheets show as text and do not evaluate.

Typed values are left alone, so their meaning survives: integers and decimals (a negative
``-3`` business days stays a number), dates and datetimes (ISO 8601), booleans
(``true``/``false``) and ``None`` (an empty cell). Lists become their items joined with
``"; "`` and mappings canonical-ish JSON text; both are text, so both are escaped. A float is
refused: money is never a float here, and a report must not invent precision.

IO-free: :func:`render_csv` returns the text; the CLI writes it (UTF-8 with a byte order mark,
which spreadsheet programs need to read non-ASCII text such as Korean names correctly).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

__all__ = [
    "CSV_ENCODING",
    "FORMULA_TRIGGERS",
    "escape_text",
    "flatten_sections",
    "render_csv",
    "to_cell",
]

#: First characters that make a spreadsheet evaluate a cell (OWASP "CSV Injection").
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
#: The encoding CSV files for humans are written in.
CSV_ENCODING: Final = "utf-8-sig"


def escape_text(text: str) -> str:
    """``text``, with a leading ``'`` if it starts with a formula trigger."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def to_cell(value: Any) -> str:
    """One value as cell text: typed values verbatim, text escaped (see the module docstring).

    ``TypeError`` for a float or a type a report should not hold.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("a non-finite decimal cannot be a CSV cell")
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, list | tuple):
        return escape_text("; ".join(_item_text(item) for item in value))
    if isinstance(value, Mapping):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        return escape_text(text)
    raise TypeError(f"a {type(value).__name__} cannot be a CSV cell")


def _item_text(item: Any) -> str:
    """A list item inside a joined cell (the cell as a whole is escaped afterwards)."""
    return item if isinstance(item, str) else to_cell(item)


def render_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A header of ``columns`` and one line per row (a missing key is an empty cell), every
    cell through :func:`to_cell`; RFC 4180 quoting, ``\\r\\n`` line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_text(name) for name in columns])
    for row in rows:
        writer.writerow([to_cell(row.get(name)) for name in columns])
    return out.getvalue()


def flatten_sections(sections: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Several lists of rows (a report's sections) as one table: a ``section`` column first,
    then the union of the rows' keys in first-seen order."""
    columns: dict[str, None] = {"section": None}
    rows: list[dict[str, Any]] = []
    for name, items in sections.items():
        for item in items:
            columns.update(dict.fromkeys(item))
            rows.append({**item, "section": name})
    return render_csv(list(columns), rows)

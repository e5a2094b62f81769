"""The export-performance status of a declaration, as UNI-PASS reports it, and refreshing with it.

UNI-PASS answers a lookup by declaration number (수출신고번호별 수출이행 내역) with one summary
(``expDclrNoPrExpFfmnBrkdQryRsltVo``: declaration number ``expDclrNo``, acceptance date
``acptDt``, shipped flag ``shpmCmplYn``) and one detail per departure
(``expDclrNoPrExpFfmnBrkdDtlQryRsltVo``: B/L number ``blNo``, departure date ``tkofDt``); goods
shipped in parts have several details. The adapter ``gateway.adapters.customs.UnipassXmlSource``
reads the XML and hands the element texts to :func:`status_from_lookup` (IO-free).

:func:`apply_statuses` refreshes declarations read from a broker download with the latest
statuses, so a declaration that was "not yet shipped" in last week's file becomes shipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Final, NoReturn, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gateway.errors import RecordError
from gateway.ingest.parse import FieldValueError, check_text, parse_date
from gateway.limits import Limits
from gateway.model import ExportDeclaration
from gateway.model.declaration import normalise_declaration_number
from gateway.model.record import Text

#: UNI-PASS element → declaration field, as reasons name them.
ELEMENTS: Final = {
    "expDclrNo": "declaration_number",
    "acptDt": "acceptance_date",
    "shpmCmplYn": "shipped",
    "tkofDt": "loading_date",
    "blNo": "bl_number",
}
_DATE_FORMATS: Final = ("%Y%m%d", "%Y-%m-%d")
_FLAGS: Final = {"Y": True, "N": False}
_TEXT_MAX: Final = 256
_DEFAULT_LIMITS: Final = Limits()


class DeclarationStatus(BaseModel):
    """Where one declaration stands at customs: accepted on a date, shipped or not, when the
    goods left (the earliest departure) and under which B/L numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    declaration_number: str = Field(pattern=r"^[0-9A-Z]{10,20}$")
    acceptance_date: date
    shipped: bool
    loading_date: date | None = None
    bl_numbers: tuple[Text, ...] = Field(default=(), max_length=100)

    @field_validator("declaration_number", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        return normalise_declaration_number(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.loading_date is not None and self.loading_date < self.acceptance_date:
            raise ValueError("loading_date is before acceptance_date")
        if self.loading_date is not None and not self.shipped:
            raise ValueError("loading_date is set but the goods are not shipped")
        return self


class _Lookup:
    """Value-free error reporting over one lookup answer."""

    def __init__(self, source: str, row: int, max_chars: int) -> None:
        self.source, self.row, self.max_chars = source, row, max_chars

    def fail(self, element: str, reason: str) -> NoReturn:
        field = ELEMENTS.get(element, element)
        raise RecordError(self.source, self.row, field, f"{field} (element '{element}'): {reason}")

    def text(self, values: Mapping[str, str | None], element: str) -> str | None:
        value = values.get(element)
        if value is None or not value.strip():
            return None
        try:
            return check_text(value, self.max_chars)
        except FieldValueError as exc:
            self.fail(element, exc.reason)

    def need(self, values: Mapping[str, str | None], element: str) -> str:
        value = self.text(values, element)
        if value is None:
            self.fail(element, "missing")
        return value

    def date(self, value: str, element: str) -> date:
        try:
            return parse_date(value, _DATE_FORMATS)
        except FieldValueError:
            self.fail(element, "not a date (YYYYMMDD)")


def _departures(
    lookup: _Lookup, details: Sequence[Mapping[str, str | None]], accepted: date
) -> list[tuple[date | None, str | None]]:
    found: list[tuple[date | None, str | None]] = []
    for detail in details:
        text = lookup.text(detail, "tkofDt")
        left = None if text is None else lookup.date(text, "tkofDt")
        if left is not None and left < accepted:
            lookup.fail("tkofDt", "before acceptance_date (element 'acptDt')")
        found.append((left, lookup.text(detail, "blNo")))
    return found


def status_from_lookup(
    summary: Mapping[str, str | None],
    details: Sequence[Mapping[str, str | None]],
    *,
    source: str,
    row: int,
    limits: Limits = _DEFAULT_LIMITS,
) -> DeclarationStatus:
    """Build the status from one answer's element texts; :class:`RecordError` (naming the
    element, never its value) for a missing or malformed element. Element texts are bounded by
    256 characters and ``limits.max_field_chars``.

    ``loading_date`` is the earliest departure date, and only for shipped declarations: goods
    shipped in parts count from their first departure, which starts the notification clock
    earliest. B/L numbers come in departure order, without repeats.
    """
    lookup = _Lookup(source, row, min(_TEXT_MAX, limits.max_field_chars))
    number = normalise_declaration_number(lookup.need(summary, "expDclrNo"))
    if not (number.isascii() and number.isalnum() and 10 <= len(number) <= 20):
        lookup.fail("expDclrNo", "not a declaration number (10 to 20 letters or digits)")
    accepted = lookup.date(lookup.need(summary, "acptDt"), "acptDt")
    flag = lookup.need(summary, "shpmCmplYn").upper()
    if flag not in _FLAGS:
        lookup.fail("shpmCmplYn", "not a shipped flag (Y or N)")
    departures = _departures(lookup, details, accepted)
    dates = [left for left, _ in departures if left is not None]
    ordered = sorted(departures, key=lambda d: (d[0] is None, d[0] or accepted))
    bl_numbers = tuple(dict.fromkeys(bl for _, bl in ordered if bl is not None))
    try:
        return DeclarationStatus(
            declaration_number=number,
            acceptance_date=accepted,
            shipped=_FLAGS[flag],
            loading_date=min(dates) if dates and _FLAGS[flag] else None,
            bl_numbers=bl_numbers,
        )
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        where = str(err["loc"][0]) if err["loc"] else "<status>"
        raise RecordError(source, row, where, f"{where}: invalid value") from exc


def _refreshed(declaration: ExportDeclaration, status: DeclarationStatus) -> ExportDeclaration:
    loading = status.loading_date
    kept = declaration.loading_date
    if loading is None and status.shipped and kept is not None and kept >= status.acceptance_date:
        loading = kept
    update = {
        "acceptance_date": status.acceptance_date,
        "shipped": status.shipped,
        "loading_date": loading,
        "bl_number": status.bl_numbers[0] if status.bl_numbers else declaration.bl_number,
    }
    return ExportDeclaration.model_validate({**declaration.model_dump(), **update})


def apply_statuses(
    declarations: Iterable[ExportDeclaration], statuses: Iterable[DeclarationStatus]
) -> Iterator[ExportDeclaration]:
    """``declarations`` in their order, each refreshed with the status of its declaration
    number if there is one (a later status for the same number wins).

    UNI-PASS is the authority: the acceptance date and shipped flag are replaced; the loading
    date becomes the status's (or stays, if the status is shipped without a departure date and
    the old date is still consistent); the B/L number becomes the first of the status's. A
    status that says "not shipped" clears the loading date. Declarations without a status are
    yielded unchanged. Statuses are read in full first; declarations stream.
    """
    latest = {status.declaration_number: status for status in statuses}
    for declaration in declarations:
        status = latest.get(declaration.declaration_number)
        yield declaration if status is None else _refreshed(declaration, status)

"""UNI-PASS export-performance answers (수출이행 내역, XML) as declaration statuses.

The UNI-PASS open API "수출신고번호별 수출이행 내역" (``expDclrNoPrExpFfmnBrkdQry/
retrieveExpDclrNoPrExpFfmnBrkd``) answers a declaration number with::

    <expDclrNoPrExpFfmnBrkdQryRtnVo>
      <tCnt>1</tCnt> <ntceInfo/>
      <expDclrNoPrExpFfmnBrkdQryRsltVo>      summary: expDclrNo, acptDt, shpmCmplYn, ...
      <expDclrNoPrExpFfmnBrkdDtlQryRsltVo>   one per departure: blNo, tkofDt, ...

and a B/L number with ``expDclrNoPrExpFfmnBrkdBlNoQryRsltVo`` items holding both. A file holds
one answer, or several answers saved under one root element of any name. The gateway does not
call the API itself (that needs the exporter's UNI-PASS key); it reads the answers a scheduled job
or a person saved.

Parsing is defensive: the file is read up to ``max_bytes`` (a larger one is refused), and
``defusedxml`` refuses any DTD, so entity expansion ("billion laughs") and external entities
cannot happen. The file must be well-formed XML in its declared encoding (UTF-8 by default):
undecodable bytes refuse the file, naming the line. An answer without a result, or with
a missing, malformed or over-long element (bounded by ``limits.max_field_chars``), is quarantined
with ``row`` = the answer's position in the file (1-based).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gateway.errors import RecordError, SourceError
from gateway.ingest import Quarantined
from gateway.ingest.customs import DeclarationStatus, status_from_lookup
from gateway.limits import Limits

ANSWER: Final = "expDclrNoPrExpFfmnBrkdQryRtnVo"
SUMMARY: Final = "expDclrNoPrExpFfmnBrkdQryRsltVo"
DETAIL: Final = "expDclrNoPrExpFfmnBrkdDtlQryRsltVo"
BY_BL: Final = "expDclrNoPrExpFfmnBrkdBlNoQryRsltVo"
DEFAULT_MAX_BYTES: Final = 8 * 1_048_576
_COUNT: Final = re.compile(r"-?[0-9]{1,9}")
_DEFAULT_LIMITS: Final = Limits()

StatusItem = DeclarationStatus | Quarantined


def _texts(element: Element) -> dict[str, str | None]:
    """The direct children of ``element`` as tag → text (the first of repeated tags)."""
    texts: dict[str, str | None] = {}
    for child in element:
        texts.setdefault(child.tag, child.text)
    return texts


class UnipassXmlSource:
    """Iterate the statuses in a file of UNI-PASS export-performance answers."""

    def __init__(
        self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits = _DEFAULT_LIMITS
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.limits = limits
        self.source = self.path.name

    def _read(self) -> bytes:
        try:
            with self.path.open("rb") as handle:
                data = handle.read(self.max_bytes + 1)
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot be read ({exc.strerror})") from exc
        if len(data) > self.max_bytes:
            raise SourceError(f"{self.path}: larger than {self.max_bytes} bytes, refused")
        return data

    def _root(self) -> Element:
        data = self._read()
        try:
            root: Element = fromstring(data, forbid_dtd=True)
        except DefusedXmlException as exc:
            raise SourceError(
                f"{self.path}: refused: DTDs and entity declarations are not allowed"
            ) from exc
        except ParseError as exc:
            line = exc.position[0]
            raise SourceError(f"{self.path}: not well-formed XML (line {line})") from exc
        return root

    def __iter__(self) -> Iterator[StatusItem]:
        root = self._root()
        answers = [root] if root.tag == ANSWER else list(root)
        if root.tag != ANSWER and (not answers or any(a.tag != ANSWER for a in answers)):
            raise SourceError(
                f"{self.path}: not UNI-PASS export-performance answers (expected {ANSWER})"
            )
        for position, answer in enumerate(answers, 1):
            yield from self._answer(answer, position)

    def _answer(self, answer: Element, position: int) -> Iterator[StatusItem]:
        summary = answer.find(SUMMARY)
        if summary is not None:
            details = [_texts(d) for d in answer.findall(DETAIL)]
            yield self._status(_texts(summary), details, position)
            return
        by_bl = answer.findall(BY_BL)
        for item in by_bl:
            texts = _texts(item)
            yield self._status(texts, [texts], position)
        if not by_bl:
            count = (answer.findtext("tCnt") or "").strip()
            shown = f" (tCnt {count})" if _COUNT.fullmatch(count) else ""
            reason = f"the lookup returned no declaration{shown}"
            yield Quarantined(self.source, position, "<answer>", reason, {})

    def _status(
        self, summary: dict[str, str | None], details: list[dict[str, str | None]], position: int
    ) -> StatusItem:
        try:
            return status_from_lookup(
                summary, details, source=self.source, row=position, limits=self.limits
            )
        except RecordError as exc:
            return Quarantined(self.source, position, exc.field, exc.reason, {})

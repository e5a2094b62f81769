"""Stream the elements of a top-level JSON array without loading the file.

The file is decoded as strict UTF-8 in chunks; each element is parsed with
:meth:`json.JSONDecoder.raw_decode` as soon as it is complete, so memory stays bounded by the
largest element (at most ``max_element_bytes``), not the file. Parsing is as strict as
:func:`gateway.ingest.strict_json.loads_strict`: a duplicate key or ``NaN``/``Infinity`` inside
an element is reported with that element (which can then be quarantined while the rest of the
array is read); numbers become :class:`~decimal.Decimal`. Broken JSON syntax cannot be skipped
safely and ends the file with :class:`~gateway.errors.SourceError`.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any, Final

from gateway.errors import SourceError
from gateway.ingest.parse import FieldValueError
from gateway.ingest.strict_json import DuplicateKeyError

_CHUNK: Final = 65_536
_SPACE: Final = " \t\r\n"


class _Hooks:
    """Decoder hooks that note the first strictness problem of an element instead of raising,
    so the element's end is still found."""

    def __init__(self) -> None:
        self.problem: FieldValueError | None = None

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in pairs:
            if key in obj and self.problem is None:
                self.problem = DuplicateKeyError(key)
            obj[key] = value
        return obj

    def constant(self, _name: str) -> None:
        if self.problem is None:
            self.problem = FieldValueError("NaN and Infinity are not allowed")


class JsonArrayReader:
    """Iterate ``(line, value, problem)`` for each element of the array in ``stream``.

    ``line`` is the 1-based line where the element starts; ``problem`` is None or the first
    strictness problem found in the element (``value`` is then unreliable).
    """

    def __init__(self, stream: IO[bytes], origin: str, max_element_bytes: int) -> None:
        self._stream, self._origin, self._max = stream, origin, max_element_bytes
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._hooks = _Hooks()
        self._json = json.JSONDecoder(
            object_pairs_hook=self._hooks.pairs,
            parse_constant=self._hooks.constant,
            parse_float=Decimal,
            parse_int=Decimal,
        )
        self._buf, self._pos, self._line, self._read, self._eof = "", 0, 1, 0, False

    def _fail(self, reason: str) -> SourceError:
        return SourceError(f"{self._origin}: {reason} (line {self._line})")

    def _fill(self) -> None:
        if self._pos > _CHUNK:
            self._buf, self._pos = self._buf[self._pos :], 0
        chunk = self._stream.read(_CHUNK)
        try:
            self._buf += self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            at = self._read + exc.start
            line = self._line + self._buf.count("\n", self._pos) + chunk.count(b"\n", 0, exc.start)
            raise SourceError(
                f"{self._origin}: not valid UTF-8 (near byte {at}) on line {line}"
            ) from exc
        self._read += len(chunk)
        self._eof = not chunk

    def _next_char(self) -> str:
        """The next non-space character ('' at the end of the file), not consumed."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _SPACE:
                self._line += self._buf[self._pos] == "\n"
                self._pos += 1
            if self._pos < len(self._buf) or self._eof:
                return self._buf[self._pos] if self._pos < len(self._buf) else ""
            self._fill()

    def _value(self) -> tuple[Any, FieldValueError | None]:
        while True:
            self._hooks.problem = None
            try:
                value, end = self._json.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._eof or len(self._buf) - self._pos > self._max:
                    raise self._fail(self._syntax(exc)) from exc
                self._fill()
                continue
            except RecursionError as exc:
                raise self._fail("not valid JSON: nested too deeply") from exc
            if end == len(self._buf) and not self._eof:
                self._fill()  # a number may continue in the next chunk
                continue
            if end - self._pos > self._max:
                raise self._fail(f"an element is longer than {self._max} characters")
            self._line += self._buf.count("\n", self._pos, end)
            self._pos = end
            return value, self._hooks.problem

    def _syntax(self, exc: json.JSONDecodeError) -> str:
        if len(self._buf) - self._pos > self._max:
            return f"an element is longer than {self._max} characters"
        return f"not valid JSON: {exc.msg}"

    def __iter__(self) -> Iterator[tuple[int, Any, FieldValueError | None]]:
        if self._next_char() != "[":
            raise self._fail("not a JSON array")
        self._pos += 1
        first = True
        while True:
            char = self._next_char()
            if char == "]":
                self._pos += 1
                break
            if not first:
                if char != ",":
                    raise self._fail("not valid JSON: expected ',' or ']' between elements")
                self._pos += 1
                self._next_char()
            first = False
            line = self._line
            value, problem = self._value()
            yield line, value, problem
        if self._next_char() != "":
            raise self._fail("content after the end of the array")

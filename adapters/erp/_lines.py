"""Bounded, strictly decoded physical lines of a text export, with per-row bookkeeping.

Files are read as bytes, one physical line (up to ``\\n``) at a time and never more than
``max_row_bytes`` + 1 bytes at once, so memory stays constant whatever the file size. Splitting
bytes at ``\\n`` is safe for every supported encoding: in UTF-8, CP949 and EUC-KR the bytes
``\\n`` and ``"`` only ever stand for themselves (the bytes after a lead byte of a multi-byte
sequence are >= 0x41). Delimiters are found later, in decoded text.

Each line is decoded strictly. A line that does not decode is noted against the current row (so
the row can be quarantined with the byte offset) and handed on decoded with ``surrogateescape``
only so the CSV parser can find where the row ends; that text never leaves the source. No
replacement character (U+FFFD) is ever produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BufferedReader
from typing import Final

UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_CHUNK: Final = 65_536

#: Accepted ``encoding`` values and the Python codec each decodes with.
CODECS: Final = {
    "auto": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "cp949": "cp949",
    "euc-kr": "euc_kr",
}


@dataclass(slots=True)
class RowBytes:
    """What the reader saw while collecting one logical row."""

    start_line: int
    size: int = 0
    decode_error_at: int | None = None
    overlong: bool = False


class LineReader:
    """Iterator of decoded physical lines for :func:`csv.reader` (or line-based parsers).

    ``take_row()`` closes the current logical row and returns its :class:`RowBytes`.
    """

    def __init__(self, stream: BufferedReader, encoding: str, max_row_bytes: int) -> None:
        self._stream = stream
        self._codec = CODECS[encoding]
        self._max = max_row_bytes
        self.line_no = 0
        self._row = RowBytes(start_line=1)

    def skip_bom(self) -> bool:
        """Consume a UTF-8 byte order mark if the stream starts with one; True if it did.

        Raises :class:`UnicodeError` for a UTF-16 byte order mark (not a supported encoding).
        """
        head = self._stream.peek(len(UTF8_BOM))[: len(UTF8_BOM)]
        if head[:2] in _UTF16_BOMS:
            raise UnicodeError("UTF-16 byte order mark")
        if head == UTF8_BOM:
            self._stream.read(len(UTF8_BOM))
            return True
        return False

    def take_row(self) -> RowBytes:
        """The finished row's bookkeeping; the next row starts on the next physical line."""
        row, self._row = self._row, RowBytes(start_line=self.line_no + 1)
        return row

    def __iter__(self) -> LineReader:
        return self

    def _skip_rest(self, line: bytes) -> str:
        """Drop an over-long line, keeping only the parity of its quotes and its newline."""
        quotes = line.count(b'"')
        ends = line.endswith(b"\n")
        while not ends:
            chunk = self._stream.readline(_CHUNK)
            if not chunk:
                break
            quotes += chunk.count(b'"')
            ends = chunk.endswith(b"\n")
        self._row.overlong = True
        return '"' * (quotes % 2) + ("\n" if ends else "")

    def __next__(self) -> str:
        line = self._stream.readline(self._max + 1)
        if not line:
            raise StopIteration
        self.line_no += 1
        if self._row.overlong or self._row.size + len(line) > self._max:
            return self._skip_rest(line)
        offset = self._row.size
        self._row.size += len(line)
        try:
            return line.decode(self._codec)
        except UnicodeDecodeError as exc:
            if self._row.decode_error_at is None:
                self._row.decode_error_at = offset + exc.start
            return line.decode(self._codec, "surrogateescape")

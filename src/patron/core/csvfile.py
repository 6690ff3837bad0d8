"""Reading CSV files people export from spreadsheets and other systems: UTF-8 with or
without a byte-order mark, comma, semicolon or tab, quoted fields with newlines. Streams
line by line, so a file of any size reads in constant memory."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils.translation import gettext as _

# A single field may be large (a pasted document); beyond this it is refused as a whole.
MAX_FIELD_BYTES = 32 * 1024 * 1024
csv.field_size_limit(MAX_FIELD_BYTES)
DELIMITERS = (",", ";", "\t", "|")


class CsvFileError(ValueError):
    """The file itself cannot be read (not the rows in it); says where and what to do."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class UnknownEncoding(CsvFileError, LookupError):
    """The encoding given for the file is not one Python knows (or not a name at all)."""


@dataclass
class CsvReader:
    """Rows of a CSV file with the line each starts on. `header` is the first row."""

    stream: BinaryIO
    encoding: str = "utf-8"
    delimiter: str = ""
    header: list[str] = field(default_factory=list)
    _rows: Iterator[list[str]] | None = None
    _next_line: int = 1

    def __post_init__(self) -> None:
        lines = self._decoded_lines()
        first = next(lines, None)
        if first is None:
            raise CsvFileError(_("The file is empty."), line=1)
        self.delimiter = self.delimiter or sniff_delimiter(first)

        def chained() -> Iterator[str]:
            yield first
            yield from lines

        self._reader = csv.reader(chained(), delimiter=self.delimiter, strict=False)
        try:
            self.header = next(self._reader)
        except csv.Error as exc:
            raise CsvFileError(_("Line 1: %(error)s") % {"error": exc}, line=1) from exc
        self._next_line = self._reader.line_num + 1

    def _decoded_lines(self) -> Iterator[str]:
        encoding = self.encoding.lower().replace("_", "-")
        if encoding in ("utf-8", "utf8"):
            encoding = "utf-8-sig"  # a BOM is read and dropped
        try:
            decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        except (LookupError, ValueError) as exc:  # unknown, or not a name at all (NUL)
            raise UnknownEncoding(
                _("Unknown encoding “%(encoding)s”: use utf-8, cp1252 or latin-1, for example.")
                % {"encoding": self.encoding.replace("\x00", "")[:20]},
                line=1,
            ) from exc
        for number, raw in enumerate(self.stream, start=1):
            try:
                yield decoder.decode(raw)
            except UnicodeDecodeError as exc:
                raise CsvFileError(
                    _(
                        "Line %(line)d is not valid %(encoding)s (byte 0x%(byte)02X at "
                        "position %(pos)d). Save the file as UTF-8, or give its encoding "
                        "(for example --encoding cp1252)."
                    )
                    % {
                        "line": number,
                        "encoding": self.encoding.upper(),
                        "byte": raw[exc.start],
                        "pos": exc.start + 1,
                    },
                    line=number,
                ) from exc

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        """(line the row starts on, fields); blank lines are skipped."""
        while True:
            start = self._next_line
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CsvFileError(
                    _("Line %(line)d: %(error)s") % {"line": start, "error": exc}, line=start
                ) from exc
            self._next_line = self._reader.line_num + 1
            if row and any(cell.strip() for cell in row):
                yield start, row


def check_encoding(stream: BinaryIO, encoding: str = "utf-8") -> None:
    """Read the whole file once and raise CsvFileError at the first line that is not in
    `encoding`, so a wizard can say so before anything is mapped or imported."""
    reader = CsvReader.__new__(CsvReader)
    reader.stream, reader.encoding = stream, encoding
    for _line in reader._decoded_lines():
        pass


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a header line: whichever candidate occurs most (comma on a tie)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def normalize_header(name: str) -> str:
    """'First Name ' -> 'first_name'."""
    return "_".join(name.strip().lstrip("\ufeff").lower().replace("-", " ").split())

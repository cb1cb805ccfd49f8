"""A CSV or XLSX file as a header and numbered rows, whatever Excel saved it as.

Row numbers are the spreadsheet's own (the header is row 1), so a bad-row report
points at the line the user sees in Excel.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import sys
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.utils.translation import gettext as _

from kesu.core.errors import InvalidInput

# Chinese Excel saves "CSV" in the ANSI code page (GBK); gb18030 is its superset.
# utf-8-sig reads plain UTF-8 too and drops the BOM Excel writes for "CSV UTF-8".
ENCODINGS = ("utf-8-sig", "gb18030")
FORMATS = ("csv", "xlsx")
_CHUNK = 1 << 20

# Exports carry long free text (a whole complaint) in one field.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class Table:
    """An opened file: its column headers and a way to walk its data rows."""

    headers: list[str]
    encoding: str
    _binary: IO[bytes]
    _format: str

    def count_rows(self) -> int:
        """The number of data rows: a pass over the file, for workers, not views."""
        try:
            return sum(1 for _row in self.rows())
        except csv.Error as error:
            raise InvalidInput(
                _("This CSV file cannot be read: %(error)s") % {"error": error},
                field="file",
            ) from None

    def rows(self, *, skip: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
        """(row number, {header: value}) for each data row after the first `skip`."""
        source = self._xlsx_rows() if self._format == "xlsx" else self._csv_rows()
        for index, values in enumerate(source):
            if index < skip:
                continue
            if not any(value not in (None, "") for value in values):
                continue
            yield index + 2, dict(zip(self.headers, values, strict=False))

    def _csv_rows(self) -> Iterator[list[Any]]:
        reader = _csv_reader(self._binary, self.encoding)
        next(reader, None)
        yield from reader

    def _xlsx_rows(self) -> Iterator[list[Any]]:
        self._binary.seek(0)
        book = _load_workbook(self._binary)
        try:
            sheet = book.worksheets[0]
            yield from (
                list(row) for row in sheet.iter_rows(min_row=2, values_only=True)
            )
        finally:
            book.close()


def file_format(name: str) -> str:
    """The format, csv or xlsx, from the file name; InvalidInput for others."""
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidInput(_("Upload a .csv or .xlsx file."), field="file")
    return suffix


def table_open(binary: IO[bytes], name: str) -> Table:
    """Open the file, detect its encoding and read its header."""
    kind = file_format(name)
    if kind == "xlsx":
        return _xlsx_open(binary)
    encoding = detect_encoding(binary)
    reader = _csv_reader(binary, encoding)
    try:
        headers = _headers(next(reader, []))
    except csv.Error as error:
        raise InvalidInput(
            _("This CSV file cannot be read: %(error)s") % {"error": error},
            field="file",
        ) from None
    finally:
        reader.close()
    return Table(headers, encoding, binary, "csv")


def detect_encoding(binary: IO[bytes]) -> str:
    """The first of ENCODINGS that decodes the whole file."""
    for encoding in ENCODINGS:
        binary.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := binary.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InvalidInput(
        _("Save the file as CSV UTF-8 or as CSV from Chinese Excel (GBK)."),
        field="file",
    )


def _csv_reader(binary: IO[bytes], encoding: str) -> Generator[list[str]]:
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    try:
        yield from csv.reader(text, dialect=_dialect(text))
    finally:
        # Detached, the wrapper cannot close the caller's file when it is collected
        # (the caller may have closed it already, after reading only the first rows).
        with contextlib.suppress(ValueError):
            text.detach()


def _dialect(text: io.TextIOWrapper) -> type[csv.Dialect]:
    first = text.readline()
    text.seek(0)
    counts = {delimiter: first.count(delimiter) for delimiter in ",;\t"}
    delimiter = max(counts, key=lambda key: counts[key])

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter if counts[delimiter] else ","
    return Dialect


def _load_workbook(binary: IO[bytes]) -> Any:
    # openpyxl costs every web process a second of start-up; only imports read XLSX.
    import openpyxl

    return openpyxl.load_workbook(binary, read_only=True, data_only=True)


def _xlsx_open(binary: IO[bytes]) -> Table:
    binary.seek(0)
    try:
        book = _load_workbook(binary)
    except Exception:  # openpyxl raises a zoo of types for a broken file
        raise InvalidInput(_("This XLSX file cannot be read."), field="file") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        headers = _headers(list(next(rows, ())))
    finally:
        book.close()
    return Table(headers, "", binary, "xlsx")


def _headers(cells: list[Any]) -> list[str]:
    headers = [str(cell).strip() if cell is not None else "" for cell in cells]
    if not any(headers):
        raise InvalidInput(_("The first row must name the columns."), field="file")
    seen: dict[str, int] = {}
    unique = []
    for position, header in enumerate(headers, start=1):
        name = header or _("Column %(n)d") % {"n": position}
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique

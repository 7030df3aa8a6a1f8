"""Reading import CSV files: size, encoding and header checks first, then rows streamed with line numbers.

Nothing here knows about models; it turns cells into typed values and collects problems
as `FILE:LINE: field: reason`, so that every bad cell of a row is reported at once.
"""
import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

MULTI_VALUE_SEPARATOR = ";"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Problem:
    """One reason a file or row is refused (or, as a warning, flagged)."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}"


@dataclass(frozen=True)
class FileSpec:
    """The columns of one kind of import file; optional columns may be absent from the header."""

    kind: str
    required: tuple
    optional: tuple = ()

    @property
    def allowed(self):
        return self.required + self.optional


class CsvSource:
    """One import file, given as a path or an open file object (binary, as uploads are, or text)."""

    def __init__(self, source, spec: FileSpec, *, max_bytes: int):
        self.spec = spec
        self.max_bytes = max_bytes
        self._source = source
        self._owned = isinstance(source, (str, os.PathLike))
        self.name = str(source) if self._owned else str(getattr(source, "name", None) or f"{spec.kind}.csv")
        self._file = None
        self._text = None
        self.columns = ()

    def problem(self, line, field, message):
        return Problem(self.name, line, field, message)

    def close(self):
        if self._owned and self._file is not None:
            self._file.close()
        elif self._text is not None and self._text is not self._file:
            self._text.detach()  # leave the caller's file open

    def check(self) -> list[Problem]:
        """File-level checks (open, size, UTF-8, header) before any row is read."""
        try:
            self._file = open(self._source, "rb") if self._owned else self._source
        except OSError as exc:
            return [self.problem(None, "file", f"cannot be opened: {exc.strerror or exc}")]
        size = self._size()
        if size is not None and size > self.max_bytes:
            return [self.problem(1, "file", f"is {size:,} bytes; the largest file accepted is "
                                               f"{self.max_bytes:,} bytes. Split it into smaller files.")]
        if self._is_binary():
            problem = self._check_utf8()
            if problem:
                return [problem]
        self._rewind()
        self._text = self._text_stream()
        self._reader = csv.reader(self._text)
        return self._check_header()

    def _size(self):
        if self._owned:
            return os.fstat(self._file.fileno()).st_size
        size = getattr(self._file, "size", None)  # Django's UploadedFile
        if size is None and self._file.seekable():
            position = self._file.tell()
            size = self._file.seek(0, io.SEEK_END) - position
            self._file.seek(position)
            if not self._is_binary():
                size = None  # characters, not bytes: the limit is about bytes on disk
        return size

    def _is_binary(self):
        return not isinstance(self._file, io.TextIOBase)

    def _rewind(self):
        if self._file.seekable():
            self._file.seek(0)

    def _check_utf8(self):
        """Decode line by line (a UTF-8 sequence never spans a newline) to name the bad line exactly."""
        for number, raw in enumerate(self._file, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return self.problem(number, "file", f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column "
                                                    f"{exc.start + 1}); save the file as UTF-8 CSV.")
        return None

    def _text_stream(self):
        if self._is_binary():
            # utf-8-sig drops a leading byte-order mark, as Excel writes one.
            return io.TextIOWrapper(self._file, encoding="utf-8-sig", newline="")
        return self._file

    def _check_header(self):
        expected = ",".join(self.spec.required)
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            return [self.problem(1, "header", f"cannot be read as CSV: {exc}")]
        if not header or not any(cell.strip() for cell in header):
            return [self.problem(1, "header", f"the file is empty; the first line must be the header: {expected}")]
        columns = [cell.strip().lstrip("\ufeff") for cell in header]
        problems = []
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            problems.append(self.problem(1, "header", f"column(s) given twice: {', '.join(repeated)}"))
        missing = [c for c in self.spec.required if c not in columns]
        if missing:
            problems.append(self.problem(1, "header", f"missing column(s) {', '.join(missing)}; "
                                                      f"the header must be: {expected}"))
        unknown = [c for c in columns if c not in self.spec.allowed]
        if unknown:
            problems.append(self.problem(1, "header", f"unknown column(s) {', '.join(repr(c) for c in unknown)}; "
                                                      f"allowed: {', '.join(self.spec.allowed)}"))
        self.columns = tuple(columns)
        return problems

    def rows(self, problems: list):
        """Yield (line, {column: stripped text}) for each data row; malformed rows go to `problems`.

        The line is the row's first physical line (header = 1), as a spreadsheet shows it.
        """
        width = len(self.columns)
        line = self._reader.line_num + 1
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                problems.append(self.problem(line, "row", f"cannot be read as CSV: {exc}"))
                line = self._reader.line_num + 1
                continue
            start, line = line, self._reader.line_num + 1
            text = "".join(cells)
            if not text.strip():
                continue  # blank lines and rows of empty cells, as spreadsheets leave at the end
            if "\x00" in text:
                problems.append(self.problem(start, "row", "contains a NUL character; is this really a CSV text file?"))
                continue
            if len(cells) != width:
                problems.append(self.problem(start, "row", f"has {len(cells)} values but the header has {width} columns"))
                continue
            yield start, {column: cell.strip() for column, cell in zip(self.columns, cells)}


class RowValues:
    """Typed access to one row's cells; every conversion problem is kept per field."""

    def __init__(self, values: dict):
        self.values = values
        self.errors: dict[str, list[str]] = {}

    def has(self, column):
        return column in self.values

    def error(self, field, message):
        self.errors.setdefault(field, []).append(message)

    def text(self, column, *, required=False):
        value = self.values.get(column, "")
        if required and not value:
            self.error(column, "a value is required")
        return value

    def date(self, column, *, required=False):
        value = self.text(column, required=required)
        if not value:
            return None
        if ISO_DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(column, f"{value!r} is not a date; use the ISO format YYYY-MM-DD")
        return None

    def integer(self, column, *, required=False):
        value = self.text(column, required=required)
        if not value:
            return None
        if not INTEGER.match(value):
            self.error(column, f"{value!r} is not a whole number")
            return None
        return int(value)

    def decimal(self, column, *, required=False):
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.error(column, f"{value!r} is not a number (use a dot as decimal separator)")
            return None
        return number

    def codes(self, column):
        """A multi-value cell: codes separated by ';', blanks and repeats dropped, order kept."""
        value = self.text(column)
        codes = []
        for code in value.split(MULTI_VALUE_SEPARATOR):
            code = code.strip()
            if code and code not in codes:
                codes.append(code)
        return codes


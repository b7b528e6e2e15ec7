"""The interface every importer implements, the row it yields, and cell parsers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any, ClassVar, Protocol

from companies.dates import DATE_RANGE_MESSAGE, in_range
from companies.links import WEB_URL_MESSAGE, is_web_url
from companies.text import control_character_message
from funding.models import CURRENCY_CODES, DatePrecision
from funding.roundbook_format import FORMULA_STARTS

# Decimal(20, 2): 18 digits before the point.
MAX_MONEY = Decimal("999999999999999999.99")
MAX_RAW = 2000  # characters of a rejected row kept for the admin
MAX_NAME = 200
_CURRENCIES = frozenset(CURRENCY_CODES)


class NotTheFormatError(Exception):
    """The input is not the format at all: the run fails with this message."""


@dataclass
class RowError:
    line: int
    raw: str
    reasons: dict[str, str]


@dataclass
class RoundRow:
    """One round as read from a file, in plain JSON-able values (money as strings)."""

    line: int
    raw: str
    key: str
    company: str
    stage: str
    announced_on: str
    company_slug: str = ""
    company_fields: dict[str, str] = field(default_factory=dict)
    precision: str = DatePrecision.DAY
    amount: str | None = None
    currency: str = ""
    amount_usd_published: str | None = None
    pre_money_valuation: str | None = None
    post_money_valuation: str | None = None
    status: str = ""
    notes: str = ""
    # each {"name", "slug", "is_lead"}
    investors: list[dict[str, Any]] = field(default_factory=list)
    # each {"url", "title", "publisher", "published_on"}; None: unknown (keep what is stored)
    sources: list[dict[str, Any]] = field(default_factory=list)
    round_id: int | None = None
    # What the row could not carry over, by field: it is imported, with these on the run.
    warnings: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # Shallow: the nested values are already plain dicts and lists (asdict deep-copies them).
        return {name: getattr(self, name) for name in _ROUND_ROW_FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoundRow:
        return cls(**data)


_ROUND_ROW_FIELDS = tuple(f.name for f in fields(RoundRow))  # fields() is slow, per row


class Bundle(Protocol):
    """One file, or the files of a bulk export (folder or archive), by base name."""

    def names(self) -> list[str]: ...
    def open(self, name: str) -> IO[bytes]: ...
    def describe(self) -> str: ...


class Importer(Protocol):
    name: ClassVar[str]

    def detect(self, bundle: Bundle) -> bool:
        """Whether the bundle's header is this format. Reads only the first line(s)."""
        ...

    def read(self, bundle: Bundle) -> Iterator[RoundRow | RowError]:
        """Every round and every rejected row, streamed; never raises on bad input."""
        ...


# --- Cells ----------------------------------------------------------------------


class CellError(ValueError):
    pass


def text_stream(binary: IO[bytes]) -> io.TextIOWrapper:
    """UTF-8 text (BOM dropped); undecodable bytes become markers `check_text` rejects."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")


UNREADABLE = re.compile("[\udc80-\udcff\x00]")


def unreadable(value: str) -> bool:
    """Whether `value` holds a byte that was not valid UTF-8, or a NUL byte."""
    if value.isascii():  # (a flag of the string) no escaped bytes: only NUL to look for
        return "\x00" in value
    return UNREADABLE.search(value) is not None


def check_text(value: str) -> str:
    if not unreadable(value):
        return value
    bad = UNREADABLE.search(value)
    raise CellError("contains a NUL byte" if bad and bad.group() == "\x00" else "not valid UTF-8")


def web_url_cell(value: str) -> str:
    """A URL under the web URL rule (`companies.links`), refused with its message."""
    value = value.strip()
    if not is_web_url(value):
        raise CellError(WEB_URL_MESSAGE)
    return value


def first_line(bundle: Bundle, name: str, limit: int = 65536) -> str:
    with bundle.open(name) as binary:
        head = binary.read(limit)
    text = head.decode("utf-8-sig", errors="replace")
    return text.splitlines()[0] if text else ""


def header_of(bundle: Bundle, name: str) -> list[str]:
    line = first_line(bundle, name)
    try:
        return [cell.strip() for cell in next(csv.reader([line]), [])]
    except csv.Error:
        return []


def name_cell(value: str, *, required: bool = True, formula_ok: bool = False) -> str:
    value = check_text(value).strip()
    if required and not value:
        raise CellError("is missing")
    if len(value) > MAX_NAME:
        raise CellError(f"is longer than {MAX_NAME} characters")
    if value.startswith(FORMULA_STARTS) and not formula_ok:
        raise CellError("looks like a spreadsheet formula")
    if message := control_character_message(value):
        raise CellError(message)
    return value


def money_cell(value: str, *, zero_is_unknown: bool = False) -> Decimal | None:
    """A non-negative amount with at most 2 decimals; empty is undisclosed (None)."""
    value = check_text(value).strip().replace(",", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise CellError(f"{value[:40]!r} is not a number") from None
    if not amount.is_finite():
        raise CellError(f"{value[:40]!r} is not a number")
    if amount < 0:
        raise CellError("cannot be negative")
    if amount > MAX_MONEY:
        raise CellError("is too large")
    if zero_is_unknown and amount == 0:
        return None
    return amount.quantize(Decimal("0.01"))


def money_text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def currency_cell(value: str) -> str:
    code = check_text(value).strip().upper()
    if code and code not in _CURRENCIES:
        raise CellError(f"{value[:20]!r} is not an ISO 4217 currency code")
    return code


_DATE_FORMATS = (
    ("%Y-%m-%d", DatePrecision.DAY),
    ("%b %d, %Y", DatePrecision.DAY),
    ("%B %d, %Y", DatePrecision.DAY),
    ("%Y-%m", DatePrecision.MONTH),
    ("%Y", DatePrecision.YEAR),
)

_DAY = str(DatePrecision.DAY)


def date_cell(value: str) -> tuple[date, str]:
    """A date and its precision: 2024-02-19, Feb 19, 2024, 2024-02 (month), 2024 (year)."""
    value = check_text(value).strip()
    if not value:
        raise CellError("is missing")
    value = value.split("T")[0].split(" 00:00")[0]
    if len(value) == 10 and value[4] == "-" == value[7]:  # the usual YYYY-MM-DD, quickly
        try:
            parsed_day = date.fromisoformat(value)
        except ValueError:
            pass  # strptime below says why
        else:
            if not in_range(parsed_day):
                raise CellError(f"{value!r}: {DATE_RANGE_MESSAGE}")
            return parsed_day, _DAY
    for pattern, precision in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, pattern)  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
        if not in_range(parsed.date()):
            raise CellError(f"{value!r}: {DATE_RANGE_MESSAGE}")
        return parsed.date(), str(precision)
    raise CellError(f"{value[:40]!r} is not a date (YYYY-MM-DD)")


def bool_cell(value: str) -> bool:
    return value.strip().lower() in {"t", "true", "1", "yes", "y"}


_SPLIT = re.compile(r"\s*,\s*")


def name_list(value: str) -> list[str]:
    """Names from a comma-separated cell (Crunchbase's lists), blanks dropped."""
    return [part for part in _SPLIT.split(check_text(value).strip()) if part]


# --- Records --------------------------------------------------------------------


@dataclass
class Record:
    line: int
    cells: dict[str, str]
    raw: str


class _Lines:
    """The lines of a CSV text stream as `csv.reader` reads them, counted.

    Keeps what the current record was read from (its first MAX_RAW characters,
    for the row error) and how many quote characters it held: an odd count
    after a line means the line ended inside a quoted cell.
    """

    __slots__ = ("_lines", "first", "number", "quotes", "read")

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.number = 0  # lines read so far
        self.first = 0  # the line the current record starts on
        self.quotes = 0
        self.read: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number += 1
        if not self.read:  # where a record starts, blank lines are skipped here, cheaply
            while line in {"\n", "\r\n"}:
                line = next(self._lines)
                self.number += 1
            self.first = self.number
        self.quotes += line.count('"')
        if len(self.read) < MAX_RAW:
            self.read.append(line[:MAX_RAW])
        return line

    def new_record(self) -> None:
        self.read.clear()
        self.quotes = 0

    def raw(self) -> str:
        return "".join(self.read)[:MAX_RAW]

    def skip_quoted_rest(self) -> None:
        """After an error inside a quoted cell: read on to the line that closes the cell,
        so the next record starts where the file's next record does."""
        while self.quotes % 2:
            try:
                next(self)
            except StopIteration:
                return


def _unreadable_reason(error: csv.Error, raw: str, header: list[str]) -> dict[str, str]:
    """The reason a record the csv module refused is rejected, under its column if known."""
    if "field larger than field limit" not in str(error):
        return {"row": f"unreadable CSV: {error}"}
    reason = f"is longer than the {csv.field_size_limit():,} characters a CSV cell may hold"
    try:  # the record's start, which ends in the cell that was too long
        cells = next(csv.reader(io.StringIO(raw, newline="")), [])
    except csv.Error:
        cells = []
    column = header[len(cells) - 1] if 0 < len(cells) <= len(header) else "row"
    return {column: reason}


def csv_records(binary: IO[bytes], *, line_offset: int = 0) -> Iterator[Record | RowError]:
    """The rows of a CSV file as dicts by header, each with the line it starts on.

    Rows with the wrong number of columns, or that the csv module cannot read
    (a cell over its field limit), come back as RowErrors, with the text read;
    reading goes on at the next record, also after a quoted cell with line
    breaks. Blank lines are skipped.
    """
    lines = _Lines(text_stream(binary))
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return
    while True:
        lines.new_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raw = lines.raw()
            lines.skip_quoted_rest()
            yield RowError(lines.first + line_offset, raw, _unreadable_reason(error, raw, header))
            continue
        start = lines.first + line_offset
        if not cells:
            continue  # a blank line: the common case of skipping, at once
        raw = ",".join(cells)
        if not raw.replace(",", "").strip() and all(not c.strip() for c in cells):
            continue  # only empty cells
        raw = raw[:MAX_RAW]
        if len(cells) != len(header):
            yield RowError(
                start, raw, {"row": f"expected {len(header)} columns, found {len(cells)}"}
            )
            continue
        yield Record(start, dict(zip(header, cells, strict=True)), raw)


def parse_record(
    record: Record, build: Callable[[Record, dict[str, str]], RoundRow | None]
) -> RoundRow | RowError | None:
    """Run `build`, which notes each bad cell in the errors dict; any error rejects the row.

    So does a cell `build` does not read that holds a byte that is not UTF-8 or a
    NUL byte: it could be carried into the row (a key, a note) and not stored.
    """
    errors: dict[str, str] = {}
    try:
        row = build(record, errors)
    except CellError as error:  # a cell read without its own field name
        errors.setdefault("row", str(error))
        row = None
    if unreadable("".join(record.cells.values())):
        for column, value in record.cells.items():
            if column not in errors:
                try:
                    check_text(value)
                except CellError as error:
                    errors[column] = str(error)
    if errors:
        return RowError(record.line, record.raw, errors)
    return row


def cell(record: Record, errors: dict[str, str], column: str, parse: Callable[[str], Any]) -> Any:
    """`parse(record[column])`, or None with the reason noted under the column's name."""
    try:
        return parse(record.cells.get(column, ""))
    except CellError as error:
        errors[column] = str(error)
        return None

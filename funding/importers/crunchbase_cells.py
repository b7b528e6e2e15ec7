"""Crunchbase cells and side files: display money (`$2.3B`), amounts with their USD
figure, keys, sources, lead flags, and the batches and side-file rows the importer
streams."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from decimal import Decimal
from operator import itemgetter

from django_countries import countries

from companies.links import is_web_url
from funding.importers.base import (
    MAX_RAW,
    Bundle,
    CellError,
    Record,
    RoundRow,
    RowError,
    cell,
    currency_cell,
    money_cell,
    money_text,
    text_stream,
    unreadable,
    web_url_cell,
)

_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "JP¥": "JPY",
    "CN¥": "CNY",
    "A$": "AUD",
    "CA$": "CAD",
    "HK$": "HKD",
    "₹": "INR",
    "₩": "KRW",
    "R$": "BRL",
    "NZ$": "NZD",
    "S$": "SGD",
    "CHF": "CHF",
}
_SCALE = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_DISPLAY_MONEY = re.compile(
    r"^(?P<symbol>[A-Z]{0,3}[$€£¥₹₩]|[A-Z]{3})?\s*(?P<number>\d[\d,]*(?:\.\d+)?)\s*"
    r"(?P<scale>[KMBT])?$"
)


def display_money(text: str) -> tuple[Decimal, str] | None:
    """`$2.3B` -> (2300000000, USD), `€8.8M` -> (8800000, EUR); empty -> None."""
    text = text.strip()
    if not text or text in {"-", "—"}:
        return None
    match = _DISPLAY_MONEY.match(text.upper().replace("\u00a0", " "))
    if match is None:
        raise CellError(f"{text[:40]!r} is not an amount like $2.3B")
    symbol = match["symbol"] or "$"
    currency = _SYMBOLS.get(symbol, symbol if len(symbol) == 3 and symbol.isalpha() else "")
    if not currency:
        raise CellError(f"unknown currency symbol {symbol!r}")
    amount = Decimal(match["number"].replace(",", "")) * _SCALE[match["scale"] or ""]
    parsed = money_cell(str(amount))
    assert parsed is not None  # a number was matched
    return parsed, currency_cell(currency)


def country(code: str) -> str:
    code = code.strip().upper()
    return countries.alpha2(code) if code else ""


def hash_key(prefix: str, *parts: str) -> str:
    return f"{prefix}:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def url(value: str) -> str:
    """A company's homepage, or "" when it is not a web URL (a round is not refused for it)."""
    value = value.strip()
    return value if is_web_url(value) else ""


def crunchbase_source(record: Record, errors: dict[str, str]) -> list[dict[str, object]]:
    """The round's Crunchbase page as its source; a `cb_url` that is not a web URL
    rejects the row."""
    url = cell(record, errors, "cb_url", lambda v: web_url_cell(v) if v.strip() else "")
    return [{"url": url, "title": "Crunchbase", "publisher": "Crunchbase"}] if url else []


def _amount(value: str) -> str | None:
    """`money_text` of an amount where Crunchbase's 0 means unknown (None).

    Empty cells (most are) and whole numbers of up to 18 digits (most others
    are), which money_cell would take as they are, skip the Decimal.
    """
    if not value:
        return None
    if len(value) <= 18 and value.isascii() and value.isdigit():
        number = int(value)
        return f"{number}.00" if number else None
    return money_text(money_cell(value, zero_is_unknown=True))


def money(
    record: Record,
    errors: dict[str, str],
    row: RoundRow,
    *,
    post_currency_column: str,
) -> None:
    """Amount, currency, published USD and post-money of a v4 or 2.x row, filled into `row`.

    The amounts are handled as their text: a nonzero amount or None.
    """
    amount = cell(record, errors, "raised_amount", _amount)
    usd = cell(record, errors, "raised_amount_usd", _amount)
    currency = cell(record, errors, "raised_amount_currency_code", currency_cell) or ""
    post = cell(record, errors, "post_money_valuation", _amount)
    post_usd = cell(record, errors, "post_money_valuation_usd", _amount)
    post_currency = cell(record, errors, post_currency_column, currency_cell) or ""
    if amount is None and usd is not None:
        amount, currency = usd, "USD"
    if amount is not None and not currency and "raised_amount_currency_code" not in errors:
        errors["raised_amount_currency_code"] = "is missing for the amount"
    if post is None and post_usd is not None and currency in {"", "USD"}:
        post, post_currency = post_usd, "USD"
    if post is not None:
        if not currency:
            currency = post_currency or "USD"
        elif post_currency and post_currency != currency:
            post = post_usd if currency == "USD" else None
    row.amount = amount
    row.currency = currency
    row.amount_usd_published = usd if currency != "USD" and amount else None
    row.post_money_valuation = post


# Rounds read before the side files are queried for them, together: at most so many, and
# about so many characters of cells (a row can hold megabytes).
LOOKUP_ROWS = 100
LOOKUP_CHARS = 1_000_000
NO_ORGANIZATION = ("", "", "", "")


def unnamed_investors(unnamed: dict[str, bool], outcome: str) -> str:
    """The warning for a round's investments whose investor has no name in any file."""
    leads = sum(unnamed.values())
    shown = ", ".join(list(unnamed)[:3]) + (" …" if len(unnamed) > 3 else "")
    count = len(unnamed)
    return (
        f"{count} investor{'s' if count > 1 else ''} ({leads} marked as lead) "
        f"{'are' if count > 1 else 'is'} in no investors file nor named by the investment "
        f"({shown}): {outcome}"
    )


def lead_flags(cells: dict[str, str]) -> dict[str, None]:
    """The lead investors' uuids of a v4 round, in the cell's order."""
    listed = cells.get("lead_investor_uuids", "")
    return dict.fromkeys(u for u in map(str.strip, listed.split(",")) if u) if listed else {}


def batches(records: Iterator[Record | RowError]) -> Iterator[list[Record | RowError]]:
    """The records in lists of up to LOOKUP_ROWS rows, or LOOKUP_CHARS characters and one row."""
    batch: list[Record | RowError] = []
    size = 0
    for record in records:
        batch.append(record)
        if isinstance(record, Record):
            # `raw` is the row's first MAX_RAW characters: a row that fills it is counted whole.
            size += len(record.raw)
            if len(record.raw) >= MAX_RAW:
                size += sum(map(len, record.cells.values()))
        if len(batch) >= LOOKUP_ROWS or size >= LOOKUP_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def side_rows(bundle: Bundle, name: str, columns: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """`columns` ("" where the file has no such column) of each readable row of a side file.

    What `csv_records` would skip or reject is skipped (blank rows, rows with
    the wrong number of cells, rows the csv module cannot read), and so is a
    row with a cell that is not valid UTF-8 or holds a NUL byte. Reads the
    cells by position: no dict per row.
    """
    with bundle.open(name) as binary:
        reader = csv.reader(text_stream(binary))
        try:
            header = [h.strip() for h in next(reader)]
        except (StopIteration, csv.Error):
            return
        width = len(header)
        position = {h: i for i, h in enumerate(header)}  # a repeated column: the last one
        # A column the file lacks reads the "" appended to every row.
        pick = itemgetter(*(position.get(c, width) for c in columns))
        while True:
            try:
                for cells in reader:
                    if len(cells) == width:
                        text = "".join(cells)
                        if text.strip() and not unreadable(text):  # not blank, readable
                            cells.append("")
                            yield pick(cells)
            except csv.Error:
                continue  # the reader goes on with the next line
            return

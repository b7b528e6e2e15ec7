"""Roundbook's own file format: one round per record, as JSON Lines or CSV.

This is what the API's CSV and the pages' export write and what the
`roundbook` importer reads, so an export imports back unchanged. JSON Lines
carries everything (investors and sources nested); CSV flattens investors
into two name lists and sources into space-separated URLs.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -,
@, tab or carriage return) are written with a leading apostrophe;
`csv_unescape` undoes it on import. Numbers are written plainly, never
escaped, so a negative figure cannot occur (amounts are ≥ 0).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import orjson
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL

from companies.models import Investor
from funding.models import FundingRound, Participation, Source
from funding.record import CSV_COLUMNS, ROUND_RECORD, VALUES_PATHS, Kind, RecordField

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

LIST_SEPARATOR = "; "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Cells written plainly, never formula-escaped: numbers (amounts are ≥ 0, ids > 0).
_NUMERIC = {f.name for f in ROUND_RECORD if f.kind in (Kind.MONEY, Kind.INTEGER)}


def _money(value: Decimal | None) -> str | None:
    """1000000000.00 → "1000000000", 1234.50 → "1234.50"."""
    if value is None:
        return None
    text = str(value)
    if text.endswith(".00"):  # stored money has two decimals: the fast path
        return text[:-3]
    return format(value.normalize(), "f") if value == value.to_integral() else text


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _money(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class _JSONList(RawSQL):
    """A correlated subquery giving, per round, the JSON text of an array of arrays (NULL
    or "[]" when there is nothing).

    Written in SQL, once per database, rather than built with the ORM: resolving and
    compiling two aggregate subqueries cost more than the rest of an API page.
    PostgreSQL orders the items; SQLite (before 3.44) cannot order inside an
    aggregate, so `_records` sorts them there.
    """

    def __init__(self, *, postgresql: str, sqlite: str) -> None:
        super().__init__(postgresql, (), output_field=TextField())
        self.sqlite = sqlite

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _AsSqlType:
        return f"({self.sqlite})", ()


def _tables() -> dict[str, str]:
    return {
        "round": FundingRound._meta.db_table,
        "participation": Participation._meta.db_table,
        "investor": Investor._meta.db_table,
        "source": Source._meta.db_table,
    }


_INVESTORS_FROM = (
    'FROM "{participation}" p JOIN "{investor}" i ON i.id = p.investor_id '
    'WHERE p.round_id = "{round}".id'
).format(**_tables())
_INVESTORS_JSON = _JSONList(
    # Leads first, then by name: the order of the investors everywhere.
    postgresql="SELECT JSON_AGG(JSON_BUILD_ARRAY(i.slug, i.name, p.is_lead) "
    f"ORDER BY p.is_lead DESC, i.name)::text {_INVESTORS_FROM}",
    sqlite=f"SELECT JSON_GROUP_ARRAY(JSON_ARRAY(i.slug, i.name, p.is_lead)) {_INVESTORS_FROM}",
)
_SOURCES_FROM = 'FROM "{source}" s WHERE s.round_id = "{round}".id'.format(**_tables())
_SOURCE = "s.url, s.title, s.publisher, s.published_on, s.id"
_SOURCES_JSON = _JSONList(
    # Dated sources first, oldest first; then undated ones, in the order they were added.
    postgresql=f"SELECT JSON_AGG(JSON_BUILD_ARRAY({_SOURCE}) "
    f"ORDER BY s.published_on NULLS LAST, s.id)::text {_SOURCES_FROM}",
    sqlite=f"SELECT JSON_GROUP_ARRAY(JSON_ARRAY({_SOURCE})) {_SOURCES_FROM}",
)


def round_rows(rounds: QuerySet[FundingRound]) -> QuerySet[FundingRound, dict[str, Any]]:
    """`rounds` as `.values()` rows with their investors and sources: one query."""
    return rounds.values(*VALUES_PATHS, investors_json=_INVESTORS_JSON, sources_json=_SOURCES_JSON)


def round_records(
    rounds: QuerySet[FundingRound], *, chunk_size: int = 2000
) -> Iterator[dict[str, Any]]:
    """Records of `rounds` in their order: one query, read `chunk_size` rows at a time."""
    return _records(round_rows(rounds).iterator(chunk_size=chunk_size))


def row_investors(row: dict[str, Any]) -> list[list[Any]]:
    """[slug, name, is_lead] of a `round_rows()` row's investors, leads first, then by name."""
    investors: list[list[Any]] = orjson.loads(row["investors_json"] or "[]")
    if connection.vendor == "sqlite":  # unordered there: see _JSONList
        investors.sort(key=lambda i: (not i[2], i[1]))
    return investors


def _row_sources(row: dict[str, Any]) -> list[list[Any]]:
    """[url, title, publisher, published_on, id]: dated first by date, then by id."""
    sources: list[list[Any]] = orjson.loads(row["sources_json"] or "[]")
    if connection.vendor == "sqlite":
        sources.sort(key=lambda s: (s[3] is None, s[3] or "", s[4]))
    return sources


def _company(row: dict[str, Any]) -> dict[str, Any]:
    return {"slug": row["company__slug"], "name": row["company__name"]}


def _investors(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"slug": slug, "name": name, "is_lead": bool(is_lead)}
        for slug, name, is_lead in row_investors(row)
    ]


def _sources(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"url": url, "title": title, "publisher": publisher, "published_on": published_on}
        for url, title, publisher, published_on, _ in _row_sources(row)
    ]


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


_NESTED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "company": _company,
    "investors": _investors,
    "sources": _sources,
}
_WRITE: dict[Kind, Callable[[Any], Any]] = {
    Kind.MONEY: _money,
    Kind.DATE: _iso,
    Kind.DATETIME: _iso,
}


def _reader(field: RecordField) -> Callable[[dict[str, Any]], Any]:
    """What writes `field` of a record from a `round_rows()` row."""
    if field.nested:
        return _NESTED[field.name]
    (path,) = field.paths
    write = _WRITE.get(field.kind)
    if write is None:
        return itemgetter(path)
    return lambda row: write(row[path])


_READERS = [(field.name, _reader(field)) for field in ROUND_RECORD]


def _records(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield {name: read(row) for name, read in _READERS}


def csv_escape(cell: str) -> str:
    """Neutralise spreadsheet formulas: a text cell starting with = + - @ gets a leading '."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_unescape(cell: str) -> str:
    """Undo `csv_escape`."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def csv_row(record: dict[str, Any]) -> list[str]:
    """One CSV row (in CSV_COLUMNS order) of a record from `round_records`."""
    flat: dict[str, Any] = {
        **record,
        "company": record["company"]["slug"],
        "company_name": record["company"]["name"],
        "lead_investors": LIST_SEPARATOR.join(
            i["name"] for i in record["investors"] if i["is_lead"]
        ),
        "other_investors": LIST_SEPARATOR.join(
            i["name"] for i in record["investors"] if not i["is_lead"]
        ),
        "source_urls": " ".join(s["url"] for s in record["sources"]),
    }
    cells: list[str] = []
    for column in CSV_COLUMNS:
        value = flat.get(column)
        text = "" if value is None else str(value)
        cells.append(text if column in _NUMERIC else csv_escape(text))
    return cells


def csv_rows(records: Iterable[dict[str, Any]]) -> Iterator[list[str]]:
    yield CSV_COLUMNS
    for record in records:
        yield csv_row(record)


# --- For callers that page through rounds themselves (the API) -----------------------


def records_from_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records of rows from `round_rows()`, in their order. No query."""
    return list(_records(rows))


def plain(value: Any) -> Any:
    """A value as records carry it: decimals as plain strings ("1000000000"), dates ISO 8601."""
    return _plain(value)

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

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson
from django.db import connection
from django.db.models import Aggregate, F, OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import JSONArray

from funding.models import FundingRound, Participation, Source

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

CSV_COLUMNS = [
    "id",
    "company",
    "company_name",
    "stage",
    "announced_on",
    "announced_on_precision",
    "amount",
    "currency",
    "amount_usd",
    "usd_basis",
    "pre_money_valuation",
    "post_money_valuation",
    "pre_money_valuation_usd",
    "post_money_valuation_usd",
    "status",
    "lead_investors",
    "other_investors",
    "source_urls",
    "notes",
    "created_at",
    "updated_at",
]
LIST_SEPARATOR = "; "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_ROUND_FIELDS = [
    "id",
    "company__slug",
    "company__name",
    "stage",
    "announced_on",
    "announced_on_precision",
    "amount",
    "currency",
    "amount_usd",
    "usd_basis",
    "pre_money_valuation",
    "post_money_valuation",
    "pre_money_valuation_usd",
    "post_money_valuation_usd",
    "status",
    "notes",
    "created_at",
    "updated_at",
]
_MONEY = {
    "amount",
    "amount_usd",
    "pre_money_valuation",
    "post_money_valuation",
    "pre_money_valuation_usd",
    "post_money_valuation_usd",
}


def _plain(value: Any) -> Any:
    if type(value) is Decimal:
        text = str(value)
        # Stored money has two decimals: "1000000000.00" is written "1000000000".
        if text.endswith(".00"):
            return text[:-3]
        return format(value.normalize(), "f") if value == value.to_integral() else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class JSONArrayAgg(Aggregate):
    """The group's values as the text of a JSON array, in `order_by` order where the
    database can order inside an aggregate (PostgreSQL; SQLite from 3.44)."""

    function = "JSON_AGG"
    allow_order_by = True
    output_field = TextField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        # As text, so that orjson parses it rather than psycopg's stdlib loader.
        sql, params = self.as_sql(compiler, connection, **extra)
        return f"({sql})::text", params

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        aggregate = self
        if not connection.features.supports_aggregate_order_by_clause:
            aggregate = self.copy()
            aggregate.order_by = None  # type: ignore[attr-defined]  # sorted in _records
        return Aggregate.as_sql(
            aggregate, compiler, connection, function="JSON_GROUP_ARRAY", **extra
        )


def _json_list(items: QuerySet[Any], *fields: str, order_by: Sequence[Any]) -> Subquery:
    """Per round, `fields` of its `items` as a JSON array of arrays (NULL when none)."""
    return Subquery(
        items.filter(round=OuterRef("pk"))
        .order_by()
        .values("round")
        .annotate(items=JSONArrayAgg(JSONArray(*fields), order_by=order_by))
        .values("items")
    )


# Built once: a subquery is resolved afresh, from a copy, in every query that uses it.
_INVESTORS_JSON = _json_list(
    Participation.objects.all(),
    "investor__slug",
    "investor__name",
    "is_lead",
    order_by=("-is_lead", "investor__name"),
)
_SOURCES_JSON = _json_list(
    Source.objects.all(),
    "url",
    "title",
    "publisher",
    "published_on",
    "id",
    order_by=(F("published_on").asc(nulls_last=True), "id"),
)


def round_rows(rounds: QuerySet[FundingRound]) -> QuerySet[FundingRound, dict[str, Any]]:
    """`rounds` as `.values()` rows with their investors and sources: one query."""
    return rounds.values(*_ROUND_FIELDS, investors_json=_INVESTORS_JSON, sources_json=_SOURCES_JSON)


def round_records(
    rounds: QuerySet[FundingRound], *, chunk_size: int = 2000
) -> Iterator[dict[str, Any]]:
    """Records of `rounds` in their order: one query, read `chunk_size` rows at a time."""
    return _records(round_rows(rounds).iterator(chunk_size=chunk_size))


def _investor(slug: str, name: str, is_lead: Any) -> dict[str, Any]:
    return {"slug": slug, "name": name, "is_lead": bool(is_lead)}


def _source(url: str, title: str, publisher: str, published_on: str | None) -> dict[str, Any]:
    return {"url": url, "title": title, "publisher": publisher, "published_on": published_on}


def _records(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    presorted = connection.features.supports_aggregate_order_by_clause
    for row in rows:
        record = {
            "id": row["id"],
            "company": {"slug": row["company__slug"], "name": row["company__name"]},
        }
        for field in _ROUND_FIELDS[3:]:
            record[field] = _plain(row[field])
        investors = orjson.loads(row["investors_json"] or "[]")
        sources = orjson.loads(row["sources_json"] or "[]")
        if not presorted:  # leads first, then by name; undated sources last, then by id
            investors.sort(key=lambda i: (not i[2], i[1]))
            sources.sort(key=lambda s: (s[3] is None, s[3] or "", s[4]))
        record["investors"] = [_investor(*investor) for investor in investors]
        record["sources"] = [_source(*source[:4]) for source in sources]
        yield record


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
        cells.append(text if column in _MONEY or column == "id" else csv_escape(text))
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

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

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet

from funding.models import FundingRound, Participation, Source

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
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def round_records(
    rounds: QuerySet[FundingRound], *, chunk_size: int = 2000
) -> Iterator[dict[str, Any]]:
    """Records of `rounds` in their order. Three queries per chunk of rounds, whatever its size."""
    buffer: list[dict[str, Any]] = []
    for row in rounds.values(*_ROUND_FIELDS).iterator(chunk_size=chunk_size):
        buffer.append(row)
        if len(buffer) >= chunk_size:
            yield from _records(buffer)
            buffer = []
    if buffer:
        yield from _records(buffer)


def _records(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    investors: dict[int, list[dict[str, Any]]] = {}
    for p in (
        Participation.objects.filter(round_id__in=ids)
        .order_by("-is_lead", "investor__name")
        .values("round_id", "investor__slug", "investor__name", "is_lead")
    ):
        investors.setdefault(p["round_id"], []).append(
            {"slug": p["investor__slug"], "name": p["investor__name"], "is_lead": p["is_lead"]}
        )
    sources: dict[int, list[dict[str, Any]]] = {}
    for s in (
        Source.objects.filter(round_id__in=ids)
        .order_by(F("published_on").asc(nulls_last=True), "id")
        .values("round_id", "url", "title", "publisher", "published_on")
    ):
        sources.setdefault(s["round_id"], []).append(
            {k: _plain(v) for k, v in s.items() if k != "round_id"}
        )
    for row in rows:
        record = {
            "id": row["id"],
            "company": {"slug": row["company__slug"], "name": row["company__name"]},
        }
        for field in _ROUND_FIELDS[3:]:
            record[field] = _plain(row[field])
        record["investors"] = investors.get(row["id"], [])
        record["sources"] = sources.get(row["id"], [])
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
ROUND_VALUE_FIELDS = tuple(_ROUND_FIELDS)


def records_from_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records of rows from `rounds.values(*ROUND_VALUE_FIELDS)`, in their order.

    Two queries (the investors and the sources of all the rows), none when empty.
    """
    return list(_records(rows)) if rows else []


def plain(value: Any) -> Any:
    """A value as records carry it: decimals as plain strings ("1000000000"), dates ISO 8601."""
    return _plain(value)

"""The rounds tables of the pages (rounds list, dashboard), worked out in Python.

Each cell's text and link are computed here, once per row, from `round_rows()`
(one query with the investors); the template only prints them. Rendered with
per-cell includes, filters, `{% url %}` tags and a queryset per row, a 50-row
table took most of a page's time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from funding.models import Stage
from funding.record import RECORD_FIELDS
from funding.roundbook_format import row_investors
from web.formatting import format_date_at_precision, format_money, format_usd

_STAGE_LABELS = dict(Stage.choices)


@dataclass(frozen=True)
class Money:
    """ "€385M" with "$415M" beside it; `text` None when undisclosed."""

    text: str | None
    usd: str | None = None


@dataclass(frozen=True)
class InvestorCell:
    name: str
    url: str
    is_lead: bool


@dataclass(frozen=True)
class RoundRow:
    url: str
    date: str
    company_name: str
    company_url: str
    stage: str
    amount: Money
    post_money: Money
    investors: list[InvestorCell]


def _money(amount: Decimal | None, currency: str, amount_usd: Decimal | None) -> Money:
    if amount is None:
        return Money(None)
    usd = format_usd(amount_usd) if currency != "USD" and amount_usd is not None else None
    return Money(format_money(amount, currency or "USD"), usd)


class _Path:
    """`reverse(name, args=[value])` for many values: reversed once, then filled in and
    quoted as reverse() quotes (reverse() for every link of a table cost a few ms)."""

    def __init__(self, name: str) -> None:
        self.before, self.after = reverse(name, args=["0"]).rsplit("0", 1)

    def __call__(self, value: object) -> str:
        return f"{self.before}{quote(str(value), safe=RFC3986_SUBDELIMS + '/~:@')}{self.after}"


#: The round record's fields the tables show, in order; headers are the record's labels.
COLUMNS = ("announced_on", "company", "stage", "amount", "post_money_valuation", "investors")


class RoundTable(list[RoundRow]):
    """A table's rows, with its column headers by record field name."""

    headers = {name: RECORD_FIELDS[name].label for name in COLUMNS}


def round_table(rows: Iterable[dict[str, Any]]) -> RoundTable:
    """Table rows of `round_rows()` rows, in their order. No query."""
    round_path = _Path("funding:detail")
    company_path = _Path("companies:detail")
    investor_path = _Path("companies:investor")
    return RoundTable(
        RoundRow(
            url=round_path(row["id"]),
            date=format_date_at_precision(row["announced_on"], row["announced_on_precision"]),
            company_name=row["company__name"],
            company_url=company_path(row["company__slug"]),
            stage=_STAGE_LABELS.get(row["stage"], row["stage"]),
            amount=_money(row["amount"], row["currency"], row["amount_usd"]),
            post_money=_money(
                row["post_money_valuation"], row["currency"], row["post_money_valuation_usd"]
            ),
            investors=[
                InvestorCell(name, investor_path(slug), bool(is_lead))
                for slug, name, is_lead in row_investors(row)
            ],
        )
        for row in rows
    )

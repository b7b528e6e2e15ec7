"""Atom feed of rounds as they are added, optionally narrowed by company or investor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from companies.text import printable
from funding.filters import RoundFilter
from funding.models import FundingRound
from web.formatting import format_date_at_precision, format_money, format_usd

FEED_ITEMS = 50


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list | tuple):
        return type(value)(_printable(item) for item in value)
    return value


class PrintableAtom1Feed(Atom1Feed):
    """Atom, with the control characters XML 1.0 cannot carry left out of every text:
    a name stored before the text rule (`companies.text`) must not break the feed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*_printable(args), **{k: _printable(v) for k, v in kwargs.items()})

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*_printable(args), **{k: _printable(v) for k, v in kwargs.items()})


class RoundFeed(Feed[FundingRound, RoundFilter]):
    """Newest added first (so a backfilled old round still reaches subscribers): 1 query."""

    feed_type = PrintableAtom1Feed

    def get_object(self, request: HttpRequest, *args: object, **kwargs: object) -> RoundFilter:
        return RoundFilter(request.GET, queryset=FundingRound.objects.all())

    def title(self, obj: RoundFilter) -> str:
        narrowed = [
            f"{key} {obj.data[key]}"
            for key in ("company", "investor", "lead_investor")
            if obj.data.get(key)
        ]
        return "Roundbook: new funding rounds" + (f" ({', '.join(narrowed)})" if narrowed else "")

    def link(self, obj: RoundFilter) -> str:
        return _with_query(reverse("funding:list"), obj)

    def feed_url(self, obj: RoundFilter) -> str:
        return _with_query(reverse("funding:feed"), obj)

    def subtitle(self, obj: RoundFilter) -> str:
        return "AI-startup funding rounds as they are added to Roundbook."

    def items(self, obj: RoundFilter) -> QuerySet[FundingRound]:
        return obj.qs.select_related("company").order_by("-created_at", "-id")[:FEED_ITEMS]

    def item_title(self, item: FundingRound) -> str:
        amount = format_money(item.amount, item.currency)
        return f"{item.company.name}: {item.get_stage_display()}, {amount}"

    def item_description(self, item: FundingRound) -> str:
        parts = [
            f"{item.company.name} announced a {item.get_stage_display()} round "
            f"({format_date_at_precision(item.announced_on, item.announced_on_precision)})",
            f"amount {format_money(item.amount, item.currency)}",
        ]
        if item.currency and item.currency != "USD" and item.amount_usd is not None:
            parts.append(f"≈ {format_usd(item.amount_usd)}")
        if item.post_money_valuation_usd is not None:
            parts.append(f"post-money {format_usd(item.post_money_valuation_usd)}")
        return "; ".join(parts) + "."

    def item_link(self, item: FundingRound) -> str:
        return reverse("funding:detail", args=[item.pk])

    def item_pubdate(self, item: FundingRound) -> datetime:
        return item.created_at

    def item_updateddate(self, item: FundingRound) -> datetime:
        return item.updated_at


def _with_query(path: str, obj: RoundFilter) -> str:
    query = obj.data.urlencode() if obj.data else ""
    return f"{path}?{query}" if query else path

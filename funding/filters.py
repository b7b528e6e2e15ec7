"""Filters of rounds, shared by the rounds API and pages, so a query string works on both.

Every parameter is validated: a bad date, a non-number, an unknown stage,
country or ordering makes the filter set invalid with a message naming the
parameter; callers turn that into a 400 (API) or a message on the page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters as filters
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.expressions import OrderBy

from companies.filters import (
    COUNTRY_CHOICES,
    CountryFilter,
    FilterSet,
    TextFilter,
    filter_messages,
    search_companies,
)
from funding.models import FundingRound, Participation, Stage

# Public ordering keys → SQL ordering; `id` breaks ties so every ordering is total
# (cursor pagination needs unique keys). Unknown USD figures sort last either way.
ROUND_ORDERINGS: dict[str, tuple[OrderBy, ...]] = {
    "announced_on": (F("announced_on").asc(), F("id").asc()),
    "-announced_on": (F("announced_on").desc(), F("id").desc()),
    "amount_usd": (F("amount_usd").asc(nulls_last=True), F("id").asc()),
    "-amount_usd": (F("amount_usd").desc(nulls_last=True), F("id").desc()),
    "post_money_valuation_usd": (F("post_money_valuation_usd").asc(nulls_last=True), F("id").asc()),
    "-post_money_valuation_usd": (
        F("post_money_valuation_usd").desc(nulls_last=True),
        F("id").desc(),
    ),
}
DEFAULT_ROUND_ORDERING = "-announced_on"
# Amounts are Decimal(20, 2): a bound beyond what a round can hold is an error, not a query.
MAX_AMOUNT = 10**18


class RoundFilter(FilterSet):
    company = TextFilter(field_name="company__slug", help_text="Company slug")
    investor = TextFilter(method="filter_investor", help_text="Investor slug")
    lead_investor = TextFilter(
        method="filter_lead_investor", help_text="Slug of an investor that led the round"
    )
    stage = filters.MultipleChoiceFilter(
        choices=Stage.choices, help_text="Stage; repeat the parameter for several"
    )
    announced_after = filters.DateFilter(
        field_name="announced_on", lookup_expr="gte", help_text="On or after (YYYY-MM-DD)"
    )
    announced_before = filters.DateFilter(
        field_name="announced_on", lookup_expr="lte", help_text="On or before (YYYY-MM-DD)"
    )
    min_amount_usd = filters.NumberFilter(
        field_name="amount_usd",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_AMOUNT,
        help_text="At least, in USD",
    )
    max_amount_usd = filters.NumberFilter(
        field_name="amount_usd",
        lookup_expr="lte",
        min_value=0,
        max_value=MAX_AMOUNT,
        help_text="At most, in USD",
    )
    country = CountryFilter(field_name="company__country")
    sector = TextFilter(field_name="company__sectors__slug", help_text="Sector slug")
    q = TextFilter(method="filter_q", help_text="Text in the company's name or aliases")
    updated_since = filters.IsoDateTimeFilter(
        method="filter_updated_since", help_text="Changed at or after (ISO 8601)"
    )
    ordering = filters.ChoiceFilter(
        choices=[(key, key) for key in ROUND_ORDERINGS],
        method="filter_ordering",
        help_text="Sort key, '-' for descending; default -announced_on",
    )

    class Meta:
        model = FundingRound
        fields: list[str] = []

    def filter_investor(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        taken_part = Participation.objects.filter(round=OuterRef("pk"), investor__slug=value)
        return queryset.filter(Exists(taken_part))

    def filter_lead_investor(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        led = Participation.objects.filter(round=OuterRef("pk"), investor__slug=value, is_lead=True)
        return queryset.filter(Exists(led))

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return search_companies(queryset, "company__", value)

    def filter_updated_since(
        self, queryset: QuerySet[Any], name: str, value: datetime
    ) -> QuerySet[Any]:
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
        try:
            since = value.astimezone(UTC)
        except OverflowError:  # out of datetime's range once in UTC
            return queryset if value.year == 1 else queryset.none()
        return queryset.filter(updated_at__gte=since)

    def filter_ordering(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.order_by(*ROUND_ORDERINGS[value])


__all__ = [
    "COUNTRY_CHOICES",
    "DEFAULT_ROUND_ORDERING",
    "MAX_AMOUNT",
    "ROUND_ORDERINGS",
    "CountryFilter",
    "FilterSet",
    "RoundFilter",
    "TextFilter",
    "filter_messages",
    "search_companies",
]

"""Filters shared by the rounds API and the rounds pages, so a query string works on both.

Every parameter is validated: a bad date, a non-number, an unknown stage,
country or ordering makes the filter set invalid with a message naming the
parameter; callers turn that into a 400 (API) or a message on the page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import OrderBy
from django_countries import countries
from drf_spectacular.utils import extend_schema_field

from companies.models import Company, CompanyStatus, Investor, InvestorKind
from companies.names import match_key
from companies.text import SINGLE_LINE_CONTROL
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
COUNTRY_CHOICES = [(code, name) for code, name in countries]


# Free text in a query string (a search, a slug): no control characters and at most 200
# characters. The schema states the same rule (pattern, maxLength), so generated clients
# and fuzzers know exactly what is refused.
TEXT_MAX_LENGTH = 200
TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"
TEXT_MESSAGE = f"Give at most {TEXT_MAX_LENGTH} characters, without control characters."


def no_control_characters(value: str) -> None:
    if SINGLE_LINE_CONTROL.search(value):
        raise ValidationError(TEXT_MESSAGE, code="control_characters")


class TextField(forms.CharField):
    """Not stripped: a control character is refused, not trimmed away."""

    default_error_messages = {"max_length": TEXT_MESSAGE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
        kwargs.setdefault("strip", False)
        super().__init__(*args, **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ] + [no_control_characters]


@extend_schema_field({"type": "string", "maxLength": TEXT_MAX_LENGTH, "pattern": TEXT_PATTERN})
class TextFilter(filters.CharFilter):
    """A free-text parameter under the text rule above."""

    field_class = TextField


class CountryFilter(filters.ChoiceFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", COUNTRY_CHOICES)
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-2 code of the headquarters, e.g. CN")
        super().__init__(*args, **kwargs)


class FilterSet(filters.FilterSet):
    """Country codes are accepted in either case ("cn" means CN)."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None and "country" in data:
            data = data.copy()
            data["country"] = str(data["country"]).upper()
        super().__init__(data, *args, **kwargs)


def search_companies(queryset: QuerySet[Any], prefix: str, value: str) -> QuerySet[Any]:
    """Name, slug or alias contains `value`, whatever the case or accents."""
    key = match_key(value)
    condition = Q(**{f"{prefix}name__icontains": value.strip()})
    if key:
        condition |= Q(**{f"{prefix}match_keys__contains": key})
    return queryset.filter(condition)


def filter_messages(filterset: filters.FilterSet) -> list[str]:
    """ "announced_after: Enter a valid date." for every rejected parameter."""
    return [f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()]


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


class CompanyFilter(FilterSet):
    q = TextFilter(method="filter_q", help_text="Text in the name or aliases")
    country = CountryFilter()
    sector = TextFilter(field_name="sectors__slug", help_text="Sector slug")
    status = filters.ChoiceFilter(choices=CompanyStatus.choices)

    class Meta:
        model = Company
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return search_companies(queryset, "", value)


class InvestorFilter(FilterSet):
    q = TextFilter(method="filter_q", help_text="Text in the name or aliases")
    country = CountryFilter(help_text="ISO 3166-1 alpha-2 code, e.g. US")
    kind = filters.ChoiceFilter(choices=InvestorKind.choices)

    class Meta:
        model = Investor
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return search_companies(queryset, "", value)

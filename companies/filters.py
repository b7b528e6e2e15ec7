"""Filters of the company and investor lists (pages and API), and what every filter set
of the project shares: free text under one rule, countries, names matched by match key,
messages naming a rejected parameter. `funding.filters` builds the rounds' on these."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Q, QuerySet
from django_countries import countries
from drf_spectacular.utils import extend_schema_field

from companies.models import Company, CompanyStatus, Investor, InvestorKind
from companies.names import match_key
from companies.text import SINGLE_LINE_CONTROL

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

"""Shapes of the funding API. Reads come from `funding.roundbook_format` records (the
same record the exports write); these serializers describe them for the schema and
check the shape of writes. Rules about rounds live in `funding.services`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from api.fields import EventDateField, SlugField, TextField, WebURLField, WholeItemSerializer
from companies.models import Company, Investor
from funding.models import CURRENCY_CODES, DatePrecision, RoundStatus, Stage
from funding.record import ROUND_RECORD, Kind, RecordField


def money_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=20, decimal_places=2, min_value=0, allow_null=True, **kwargs
    )


# --- Reads ----------------------------------------------------------------------


class NamedRefSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()


class RoundInvestorSerializer(NamedRefSerializer):
    is_lead = serializers.BooleanField()


class SourceSerializer(WholeItemSerializer):
    url = WebURLField()
    title = TextField(max_length=300, allow_blank=True, default="")
    publisher = TextField(max_length=120, allow_blank=True, default="")
    published_on = EventDateField(allow_null=True, default=None)


_PLAIN_FIELDS: dict[Kind, type[serializers.Field[Any, Any, Any, Any]]] = {
    Kind.INTEGER: serializers.IntegerField,
    Kind.BOOLEAN: serializers.BooleanField,
    Kind.DATE: serializers.DateField,
    Kind.DATETIME: serializers.DateTimeField,
}


def _record_field(field: RecordField) -> serializers.Field[Any, Any, Any, Any]:
    """The read field of one entry of the round record: its type from the model field."""
    kwargs: dict[str, Any] = {"help_text": field.help_text} if field.help_text else {}
    model_field = field.model_field
    if field.kind is Kind.MONEY:
        return money_field(**kwargs)
    if field.kind is Kind.CHOICE:
        return serializers.ChoiceField(
            choices=model_field.choices or [], allow_blank=model_field.blank, **kwargs
        )
    if field.kind is Kind.TEXT:
        return serializers.CharField(
            allow_blank=model_field.blank, allow_null=model_field.null, **kwargs
        )
    return _PLAIN_FIELDS[field.kind](allow_null=model_field.null, **kwargs)


_NESTED: dict[str, Callable[[], serializers.Field[Any, Any, Any, Any]]] = {
    "company": NamedRefSerializer,
    "investors": lambda: RoundInvestorSerializer(many=True, help_text="Leads first."),
    "sources": lambda: SourceSerializer(many=True),
}


class RoundSerializer(serializers.Serializer[Any]):
    """A funding round. Money is a decimal string in `currency` (the `_usd` fields in US
    dollars); null means undisclosed."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # The fields of `funding.record.ROUND_RECORD`, in its order.
        return {
            field.name: _NESTED[field.name]() if field.nested else _record_field(field)
            for field in ROUND_RECORD
        }


# --- Writes ---------------------------------------------------------------------


class ParticipationInputSerializer(WholeItemSerializer):
    slug = SlugField(
        source="investor",
        slug_field="slug",
        queryset=Investor.objects.all(),
        error_messages={"does_not_exist": "No investor with slug {value}."},
    )
    is_lead = serializers.BooleanField(default=False)


class RoundWriteSerializer(serializers.Serializer[Any]):
    """A round to create or replace. Derived figures (USD amounts, pre-money from
    post-money and amount) are computed by Roundbook, never taken from the client."""

    company = SlugField(
        slug_field="slug",
        queryset=Company.objects.all(),
        help_text="Company slug",
        error_messages={"does_not_exist": "No company with slug {value}."},
    )
    stage = serializers.ChoiceField(choices=Stage.choices)
    announced_on = EventDateField()
    announced_on_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    amount = money_field(default=None, help_text="As published; null when undisclosed.")
    currency = serializers.ChoiceField(
        choices=CURRENCY_CODES,
        allow_blank=True,
        default="",
        help_text="ISO 4217; required with an amount or valuation.",
    )
    pre_money_valuation = money_field(default=None)
    post_money_valuation = money_field(default=None)
    status = serializers.ChoiceField(choices=RoundStatus.choices, default=RoundStatus.ANNOUNCED)
    notes = TextField(allow_blank=True, default="", multiline=True)
    investors = ParticipationInputSerializer(many=True, default=list)
    sources = SourceSerializer(many=True, default=list)


# --- Valuations and statistics --------------------------------------------------


class ValuationPointSerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    post_money_valuation_usd = money_field()
    amount_usd = money_field()
    stage = serializers.ChoiceField(choices=Stage.choices)
    round = serializers.IntegerField(help_text="Round id")
    change = serializers.ChoiceField(
        choices=["up", "down", "flat"],
        allow_null=True,
        help_text="Against the previous priced round; null for the first.",
    )


@extend_schema_serializer(many=False)
class ValuationSeriesSerializer(serializers.Serializer[Any]):
    results = ValuationPointSerializer(many=True, help_text="Priced rounds, oldest first.")


PERIODS = ["month", "quarter", "year"]
GROUPINGS = ["stage", "country", "sector"]


class StatsQuerySerializer(serializers.Serializer[Any]):
    period = serializers.ChoiceField(choices=PERIODS, default="quarter")
    group_by = serializers.ChoiceField(choices=GROUPINGS, required=False)


class StatsRowSerializer(serializers.Serializer[Any]):
    period_start = serializers.DateField()
    group = serializers.CharField(
        allow_null=True, help_text="Stage, country code or sector slug; null when not grouped."
    )
    count = serializers.IntegerField()
    # A sum of rounds can pass one round's 18 digits: 28 before the point holds the sum of
    # ten billion rounds of the largest amount a round may have.
    amount_usd = serializers.DecimalField(
        max_digits=30,
        decimal_places=2,
        min_value=0,
        allow_null=True,
        help_text="Sum of the disclosed amounts (up to 28 digits before the point); null when "
        "none is.",
    )


@extend_schema_serializer(many=False)
class FundingStatsSerializer(serializers.Serializer[Any]):
    period = serializers.ChoiceField(choices=PERIODS)
    group_by = serializers.ChoiceField(choices=GROUPINGS, allow_null=True)
    results = StatsRowSerializer(many=True, help_text="Oldest period first.")

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import ExtractYear
from django.forms import ModelForm
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from funding.models import ExchangeRate, FundingRound, Participation, Source
from funding.services import (
    ParticipationSpec,
    SourceSpec,
    exchange_rate_save,
    round_delete,
    round_save,
    round_set_participations,
    round_set_sources,
    rounds_delete,
)
from web.formatting import format_date_at_precision, format_money, format_usd


class ParticipationInline(admin.TabularInline[Participation, FundingRound]):
    model = Participation
    fields = ["investor", "is_lead", "amount"]
    autocomplete_fields = ["investor"]
    extra = 3


class SourceInline(admin.TabularInline[Source, FundingRound]):
    model = Source
    fields = ["url", "title", "publisher", "published_on"]
    extra = 1


class YearFilter(admin.SimpleListFilter):
    title = "year announced"
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = (
            FundingRound.objects.annotate(year=ExtractYear("announced_on"))
            .order_by("-year")
            .values_list("year", flat=True)
            .distinct()
        )
        return [(str(y), str(y)) for y in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(announced_on__year=int(value))
        return queryset


@admin.register(FundingRound)
class FundingRoundAdmin(SimpleHistoryAdmin):
    """A round, its investors and its sources, entered in one form.

    Changelist: 3 queries whatever the page size (count, page with company,
    lead investors of the page) plus the filter sidebar's lookups.
    """

    list_display = [
        "company",
        "stage",
        "announced",
        "amount_display",
        "amount_usd_display",
        "post_money_usd_display",
        "leads",
        "status",
    ]
    list_filter = ["stage", YearFilter, "company__country", "currency", "status"]
    list_select_related = ["company"]
    search_fields = ["company__name", "company__match_keys", "participations__investor__name"]
    date_hierarchy = "announced_on"
    autocomplete_fields = ["company"]
    inlines = [ParticipationInline, SourceInline]
    list_per_page = 50
    history_list_display = ["amount", "currency", "post_money_valuation", "stage", "status"]
    readonly_fields = [
        "amount_usd",
        "pre_money_valuation_usd",
        "post_money_valuation_usd",
        "usd_basis",
        "exchange_rate",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["company", "stage", ("announced_on", "announced_on_precision"), "status"]},
        ),
        (
            "Money, as published",
            {
                "fields": [
                    ("amount", "currency"),
                    "post_money_valuation",
                    "pre_money_valuation",
                    "amount_usd_published",
                ],
                "description": "Leave pre-money empty to derive it from post-money and amount. "
                "Leave the amount empty when undisclosed.",
            },
        ),
        (
            "In US dollars (computed)",
            {
                "fields": [
                    "amount_usd",
                    "post_money_valuation_usd",
                    "pre_money_valuation_usd",
                    "usd_basis",
                    "exchange_rate",
                ]
            },
        ),
        (None, {"fields": ["notes", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FundingRound]:
        leads = Participation.objects.filter(is_lead=True).select_related("investor")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("participations", queryset=leads, to_attr="lead_rows"))
        )

    def save_model(
        self, request: HttpRequest, obj: FundingRound, form: ModelForm[FundingRound], change: bool
    ) -> None:
        round_save(funding_round=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The inlines' rows, already validated by their forms, written by the services
        (never `formset.save()`): the round's investors and sources become exactly these."""
        form.save_m2m()
        for formset in formsets:
            rows = [
                f.cleaned_data
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            _log_changes(formset)
            if formset.model is Participation:
                round_set_participations(
                    funding_round=form.instance,
                    investors=[
                        ParticipationSpec(
                            investor=row["investor"],
                            is_lead=bool(row.get("is_lead")),
                            amount=row.get("amount"),
                        )
                        for row in rows
                    ],
                )
            elif formset.model is Source:
                round_set_sources(
                    funding_round=form.instance,
                    sources=[
                        SourceSpec(
                            url=row["url"],
                            title=row.get("title") or "",
                            publisher=row.get("publisher") or "",
                            published_on=row.get("published_on"),
                        )
                        for row in rows
                    ],
                )

    def delete_model(self, request: HttpRequest, obj: FundingRound) -> None:
        round_delete(funding_round=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FundingRound]) -> None:
        rounds_delete(rounds=queryset)

    @admin.display(description="announced", ordering="announced_on")
    def announced(self, obj: FundingRound) -> str:
        return format_date_at_precision(obj.announced_on, obj.announced_on_precision)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: FundingRound) -> str:
        return format_money(obj.amount, obj.currency)

    @admin.display(description="USD", ordering="amount_usd")
    def amount_usd_display(self, obj: FundingRound) -> str:
        return format_usd(obj.amount_usd)

    @admin.display(description="post-money (USD)", ordering="post_money_valuation_usd")
    def post_money_usd_display(self, obj: FundingRound) -> str:
        if obj.post_money_valuation_usd is None:
            return "—"
        return format_usd(obj.post_money_valuation_usd)

    @admin.display(description="led by")
    def leads(self, obj: Any) -> str:
        return ", ".join(p.investor.name for p in getattr(obj, "lead_rows", [])) or "—"


def _log_changes(formset: Any) -> None:
    """What `formset.save()` would have noted for the admin's change message (its log)."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        if not form.cleaned_data:
            continue
        if form.cleaned_data.get("DELETE"):
            if form.instance.pk is not None:
                formset.deleted_objects.append(form.instance)
        elif form.instance.pk is None:
            formset.new_objects.append(form.instance)
        elif form.has_changed():
            formset.changed_objects.append((form.instance, form.changed_data))


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin[ExchangeRate]):
    """Rates entered here are used for rounds on or after their date (see funding.services)."""

    list_display = ["currency", "date", "rate", "origin"]
    list_filter = ["currency", "origin"]
    date_hierarchy = "date"
    search_fields = ["currency"]
    readonly_fields = ["created_at"]

    def save_model(
        self, request: HttpRequest, obj: ExchangeRate, form: ModelForm[ExchangeRate], change: bool
    ) -> None:
        exchange_rate_save(rate=obj)


from funding import admin_imports  # noqa: E402, F401  (imports admin: runs, uploads, sources)

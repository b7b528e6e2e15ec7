from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.forms import ModelForm
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from companies.models import Company, Investor, Sector
from companies.services import organization_save
from funding.models import FundingRound, Participation
from funding.services import investor_merge
from web.formatting import format_date_at_precision, format_money, format_usd


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin[Sector]):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class OrganizationAdmin(SimpleHistoryAdmin):
    """Saves go through the services, so slugs and matching keys stay current.

    `match_keys` holds the normalised name and aliases, so a search finds
    "Moonshot" or "月之暗面" as well as the name.
    """

    search_fields = ["name", "slug", "match_keys"]
    readonly_fields = ["created_at", "updated_at"]
    list_per_page = 50

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        organization_save(organization=obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "slug" in form.base_fields:
            form.base_fields["slug"].required = False
            form.base_fields["slug"].help_text = "Left empty, it is made from the name."
        return form


class CompanyRoundInline(admin.TabularInline[FundingRound, Company]):
    """The company's rounds, read-only; each links to its own form."""

    model = FundingRound
    fields = ["announced", "stage", "amount_display", "amount_usd_display", "status"]
    readonly_fields = ["announced", "stage", "amount_display", "amount_usd_display", "status"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "funding rounds"

    @admin.display(description="announced")
    def announced(self, obj: FundingRound) -> str:
        return format_date_at_precision(obj.announced_on, obj.announced_on_precision)

    @admin.display(description="amount")
    def amount_display(self, obj: FundingRound) -> str:
        return format_money(obj.amount, obj.currency)

    @admin.display(description="USD")
    def amount_usd_display(self, obj: FundingRound) -> str:
        return format_usd(obj.amount_usd)


@admin.register(Company)
class CompanyAdmin(OrganizationAdmin):
    list_display = ["name", "country", "city", "status", "round_count", "total_raised"]
    list_filter = ["status", "country", "sectors"]
    autocomplete_fields = ["sectors"]
    inlines = [CompanyRoundInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "aliases", "status", "description", "website"]}),
        ("Where and when", {"fields": ["country", "city", "founded_on", "sectors"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Company]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _round_count=Count("funding_rounds"),
                _total_raised=Sum("funding_rounds__amount_usd"),
            )
        )

    @admin.display(description="rounds", ordering="_round_count")
    def round_count(self, obj: Any) -> int:
        return int(obj._round_count)

    @admin.display(description="raised (USD)", ordering="_total_raised")
    def total_raised(self, obj: Any) -> str:
        return format_usd(obj._total_raised) if obj._total_raised is not None else "—"


class InvestorParticipationInline(admin.TabularInline[Participation, Investor]):
    """The investor's rounds, read-only."""

    model = Participation
    fk_name = "investor"
    fields = ["round_link", "is_lead", "amount"]
    readonly_fields = ["round_link", "is_lead", "amount"]
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "rounds"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Participation]:
        return super().get_queryset(request).select_related("round__company")

    @admin.display(description="round")
    def round_link(self, obj: Participation) -> str:
        r = obj.round
        return f"{r.company.name} · {r.get_stage_display()} · " + format_date_at_precision(
            r.announced_on, r.announced_on_precision
        )


@admin.register(Investor)
class InvestorAdmin(OrganizationAdmin):
    list_display = ["name", "kind", "country", "round_count", "lead_count"]
    list_filter = ["kind", "country"]
    autocomplete_fields = ["company"]
    inlines = [InvestorParticipationInline]
    actions = ["merge_into_most_active"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "aliases", "kind", "website", "country", "company"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Investor]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _round_count=Count("participations"),
                _lead_count=Count("participations", filter=Q(participations__is_lead=True)),
            )
        )

    @admin.display(description="rounds", ordering="_round_count")
    def round_count(self, obj: Any) -> int:
        return int(obj._round_count)

    @admin.display(description="led", ordering="_lead_count")
    def lead_count(self, obj: Any) -> int:
        return int(obj._lead_count)

    @admin.action(
        description="Merge selected investors into the one with the most rounds",
        permissions=["change", "delete"],
    )
    def merge_into_most_active(self, request: HttpRequest, queryset: QuerySet[Investor]) -> None:
        investors = sorted(queryset, key=lambda i: (-i._round_count, i.pk))  # type: ignore[attr-defined]
        if len(investors) < 2:
            self.message_user(request, "Select at least two investors to merge.", messages.WARNING)
            return
        target, others = investors[0], investors[1:]
        try:
            with transaction.atomic():
                for other in others:
                    investor_merge(source=other, target=target)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return
        names = ", ".join(o.name for o in others)
        self.message_user(request, f"Merged {names} into {target.name}.", messages.SUCCESS)

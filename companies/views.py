"""Pages about companies and investors (they read rounds through funding's selectors)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from api.links import api_query
from companies.filters import COUNTRY_CHOICES, CompanyFilter, InvestorFilter, filter_messages
from companies.models import Company, CompanyStatus, Investor, InvestorKind
from funding import selectors
from web import charts
from web.formatting import format_date_at_precision

ROWS_PER_PAGE = 50


class OrderingForm(forms.Form):
    """The `ordering` parameter of a list page; blank means the page's default."""

    ordering = forms.ChoiceField(required=False)

    def __init__(self, data: Any, *, choices: list[tuple[str, str]]) -> None:
        super().__init__(data)
        self.fields["ordering"].choices = [("", ""), *choices]  # type: ignore[attr-defined]


COMPANY_SORTS = [
    ("-total_raised", "Total raised"),
    ("-latest_valuation", "Latest valuation"),
    ("-last_round", "Last round"),
    ("name", "Name"),
]
INVESTOR_SORTS = [("-rounds", "Rounds"), ("-leads", "Rounds led"), ("name", "Name")]


def _list_page(
    request: HttpRequest,
    *,
    filterset: Any,
    all_sorts: dict[str, Any],
    default: str,
    rows: Any,
) -> tuple[Any, list[str], int]:
    """Validate filters and ordering; the page of rows, the messages and the status."""
    ordering_form = OrderingForm(request.GET, choices=[(k, k) for k in all_sorts])
    messages = filter_messages(filterset) if not filterset.is_valid() else []
    if not ordering_form.is_valid():
        messages.append(f"ordering: choose one of {', '.join(all_sorts)}.")
    if messages:
        return None, messages, 400
    ordering = ordering_form.cleaned_data["ordering"] or default
    paginator = Paginator(rows(filterset.qs, ordering), ROWS_PER_PAGE)
    return paginator.get_page(request.GET.get("page")), [], 200


def company_list(request: HttpRequest) -> HttpResponse:
    """4 queries: sectors for the form, the count, the page of companies, their sectors."""
    filterset = CompanyFilter(request.GET, queryset=Company.objects.all())
    page, messages, status = _list_page(
        request,
        filterset=filterset,
        all_sorts=selectors.COMPANY_ORDERINGS,
        default="-total_raised",
        rows=selectors.companies_for_list,
    )
    return render(
        request,
        "companies/company_list.html",
        {
            "page": page,
            "messages_": messages,
            "params": request.GET,
            "sorts": COMPANY_SORTS,
            "sectors": selectors.sector_choices(),
            "countries": COUNTRY_CHOICES,
            "statuses": CompanyStatus.choices,
            "api_url": api_query("/api/v1/companies/", request.GET),
            "admin_url": reverse("admin:companies_company_changelist"),
        },
        status=status,
    )


def company_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """6 queries: company with totals, sectors, rounds, their investors, sources, investors."""
    try:
        company = selectors.company_for_page(slug)
    except Company.DoesNotExist:
        raise Http404("No company with that name.") from None
    timeline = selectors.company_timeline(company)
    points = [
        charts.ValuationPoint(
            day=r.announced_on,
            label=f"{r.get_stage_display()} · "
            f"{format_date_at_precision(r.announced_on, r.announced_on_precision)}",
            amount_usd=r.amount_usd,
            valuation_usd=r.post_money_valuation_usd,
        )
        for r in timeline
    ]
    changes = charts.valuation_changes(points)
    return render(
        request,
        "companies/company_detail.html",
        {
            "company": company,
            "timeline": list(zip(reversed(timeline), reversed(changes), strict=True)),
            "chart_rows": [
                (r, change)
                for r, change in zip(timeline, changes, strict=True)
                if r.post_money_valuation_usd is not None or r.amount_usd is not None
            ],
            "chart": charts.valuation_chart(points, chart_id="valuation-chart", name=company.name),
            "investors": selectors.company_investors(company),
            "api_url": f"/api/v1/companies/{company.slug}/",
            "valuations_api_url": f"/api/v1/companies/{company.slug}/valuations/",
            "admin_url": reverse("admin:companies_company_change", args=[company.pk]),
            "rounds_url": reverse("funding:list") + f"?company={company.slug}",
        },
    )


def investor_list(request: HttpRequest) -> HttpResponse:
    """2 queries: the count and the page of investors."""
    filterset = InvestorFilter(request.GET, queryset=Investor.objects.all())
    page, messages, status = _list_page(
        request,
        filterset=filterset,
        all_sorts=selectors.INVESTOR_ORDERINGS,
        default="-rounds",
        rows=selectors.investors_for_list,
    )
    return render(
        request,
        "companies/investor_list.html",
        {
            "page": page,
            "messages_": messages,
            "params": request.GET,
            "sorts": INVESTOR_SORTS,
            "countries": COUNTRY_CHOICES,
            "kinds": InvestorKind.choices,
            "api_url": api_query("/api/v1/investors/", request.GET),
            "admin_url": reverse("admin:companies_investor_changelist"),
        },
        status=status,
    )


def investor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """4 queries: investor with counts, portfolio, rounds per year, co-investors."""
    try:
        investor = selectors.investor_for_page(slug)
    except Investor.DoesNotExist:
        raise Http404("No investor with that name.") from None
    portfolio = selectors.investor_portfolio(investor)
    per_year = selectors.investor_rounds_per_year(investor)
    bars = [
        charts.Bar(
            label=str(row["year"].year),
            segments=[
                ("Led", Decimal(row["leads"])),
                ("Joined", Decimal(row["count"] - row["leads"])),
            ],
            note=str(row["count"]),
        )
        for row in per_year
    ]
    return render(
        request,
        "companies/investor_detail.html",
        {
            "investor": investor,
            "portfolio": portfolio,
            "per_year": per_year,
            "year_chart": charts.bar_chart(
                bars,
                chart_id="rounds-per-year",
                title=f"{investor.name}: rounds per year",
                description="Rounds joined each year; the darker part of each bar is the "
                "rounds it led. The figure above a bar is the total.",
                money=False,
            ),
            "year_legend": charts.legend(["Led", "Joined"]),
            "co_investors": selectors.co_investors(investor),
            "api_url": f"/api/v1/investors/{investor.slug}/",
            "rounds_api_url": f"/api/v1/investors/{investor.slug}/rounds/",
            "admin_url": reverse("admin:companies_investor_change", args=[investor.pk]),
            "rounds_url": reverse("funding:list") + f"?investor={investor.slug}",
            "led_url": reverse("funding:list") + f"?lead_investor={investor.slug}",
        },
    )

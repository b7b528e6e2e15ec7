"""Pages about rounds: dashboard, rounds list and detail, CSV export, Atom feed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from api.links import api_query
from funding import selectors
from funding.exports import rounds_csv_response
from funding.feeds import RoundFeed
from funding.filters import DEFAULT_ROUND_ORDERING, RoundFilter, filter_messages
from funding.models import FundingRound, Stage
from funding.roundbook_format import round_rows
from funding.tables import RoundRow, round_table
from web import charts

ROUNDS_PER_PAGE = 50
DASHBOARD_QUARTERS = 12


def round_filter(params: QueryDict) -> RoundFilter:
    """The shared API filter set, bound to a page's query string (the `page` key is ignored)."""
    return RoundFilter(params, queryset=FundingRound.objects.all())


def bad_filter(filterset: RoundFilter) -> HttpResponse:
    """A plain-text 400 naming each rejected parameter (for the CSV and the feed)."""
    return HttpResponse(
        "Bad filter: " + "; ".join(filter_messages(filterset)) + "\n",
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def dashboard(request: HttpRequest) -> HttpResponse:
    """7 queries whatever the number of rounds; 5 while the aggregates are cached."""
    today = timezone.localdate()
    year_ago = today - timedelta(days=365)
    first_quarter = date(today.year - DASHBOARD_QUARTERS // 4, (today.month - 1) // 3 * 3 + 1, 1)
    figures, active_investors = selectors.dashboard_figures(today, first_quarter, year_ago)
    bars = _quarter_bars(figures.quarters, first_quarter, today)
    totals = figures.totals
    return render(
        request,
        "funding/dashboard.html",
        {
            "totals": totals,
            "quarter_chart": charts.bar_chart(
                bars,
                chart_id="capital-per-quarter",
                title="Capital raised per quarter, by stage group",
                description=(
                    f"Capital raised (USD) and number of rounds in each of the last "
                    f"{len(bars)} quarters, stacked by stage group; the figure above each bar "
                    "is the number of rounds."
                ),
            ),
            "quarter_legend": charts.legend(selectors.STAGE_GROUPS),
            "quarter_rows": _quarter_rows(bars),
            "stage_groups": selectors.STAGE_GROUPS,
            "latest": round_table(selectors.latest_rounds()),
            "largest": round_table(selectors.largest_rounds(year_ago)),
            "active_investors": active_investors,
            "year_ago": year_ago,
            "api_url": "/api/v1/stats/funding/?period=quarter&group_by=stage",
            "admin_url": reverse("admin:index"),
        },
    )


def _quarter_label(quarter: date) -> str:
    return f"Q{(quarter.month - 1) // 3 + 1} {quarter.year}"


def _quarter_bars(
    totals: list[selectors.QuarterTotal], first: date, today: date
) -> list[charts.Bar]:
    """One bar per quarter from `first` to today, empty quarters included."""
    by_quarter: dict[date, dict[str, selectors.QuarterTotal]] = {}
    for total in totals:
        by_quarter.setdefault(total.quarter, {})[total.group] = total
    bars = []
    quarter = first
    while quarter <= today:
        groups = by_quarter.get(quarter, {})
        count = sum(t.count for t in groups.values())
        bars.append(
            charts.Bar(
                label=_quarter_label(quarter),
                segments=[
                    (g, groups[g].amount_usd if g in groups else Decimal(0))
                    for g in selectors.STAGE_GROUPS
                ],
                note=str(count) if count else "",
            )
        )
        month = quarter.month + 3
        quarter = date(quarter.year + (month > 12), (month - 1) % 12 + 1, 1)
    return bars


def _quarter_rows(bars: list[charts.Bar]) -> list[dict[str, Any]]:
    return [
        {
            "label": bar.label,
            "segments": [value for _, value in bar.segments],
            "total": sum((value for _, value in bar.segments), Decimal(0)),
            "count": bar.note or "0",
        }
        for bar in bars
    ]


class _CountedPaginator(Paginator):
    """A paginator given the number of rows (counted earlier and cached) rather than counting."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def round_list(request: HttpRequest) -> HttpResponse:
    """3 queries: sectors for the form, the count, the page of rounds with their investors.

    Without filters, the count of every round is cached until the rounds change (2
    queries), and the filter set is not built (its form costs about 2 ms): the API does
    the same.
    """
    messages: list[str] = []
    page = None
    rows: list[RoundRow] = []
    status = 200
    filters: QueryDict = request.GET
    paginator: Paginator[FundingRound] | None = None
    if any(name in request.GET for name in RoundFilter.base_filters):
        filterset = round_filter(request.GET)
        filters = filterset.data  # as the filter set reads it: country in capitals
        if filterset.is_valid():
            paginator = Paginator(filterset.qs, ROUNDS_PER_PAGE)
        else:
            messages = filter_messages(filterset)
            status = 400
    else:
        paginator = _CountedPaginator(
            FundingRound.objects.all(), ROUNDS_PER_PAGE, count=selectors.rounds_count()
        )
    if paginator is not None:
        page = paginator.get_page(request.GET.get("page"))
        assert isinstance(page.object_list, QuerySet)  # a slice of the rounds
        rows = round_table(round_rows(page.object_list))
    ordering = request.GET.get("ordering") or DEFAULT_ROUND_ORDERING
    return render(
        request,
        "funding/round_list.html",
        {
            "filters": filters,
            "ordering": ordering,
            # Header links: a second click on the sorted column reverses it.
            "date_sort": "announced_on" if ordering == "-announced_on" else "-announced_on",
            "amount_sort": "amount_usd" if ordering == "-amount_usd" else "-amount_usd",
            "valuation_sort": (
                "post_money_valuation_usd"
                if ordering == "-post_money_valuation_usd"
                else "-post_money_valuation_usd"
            ),
            "page": page,
            "rows": rows,
            "messages_": messages,
            "stages": Stage.choices,
            "selected_stages": request.GET.getlist("stage"),
            "sectors": selectors.sector_choices(),
            "orderings": [
                ("-announced_on", "Newest first"),
                ("announced_on", "Oldest first"),
                ("-amount_usd", "Largest amount"),
                ("amount_usd", "Smallest amount"),
                ("-post_money_valuation_usd", "Highest valuation"),
                ("post_money_valuation_usd", "Lowest valuation"),
            ],
            "api_url": api_query("/api/v1/rounds/", request.GET),
            "admin_url": reverse("admin:funding_fundinground_changelist"),
            "export_url": api_query(reverse("funding:export"), request.GET),
            "feed_url": api_query(reverse("funding:feed"), request.GET),
        },
        status=status,
    )


def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    """4 queries: the round with its company, sectors, investors, sources."""
    try:
        funding_round = selectors.round_for_page(round_id)
    except FundingRound.DoesNotExist:
        raise Http404("No round with that number.") from None
    participations = list(funding_round.participations.all())
    return render(
        request,
        "funding/round_detail.html",
        {
            "round": funding_round,
            "leads": [p for p in participations if p.is_lead],
            "others": [p for p in participations if not p.is_lead],
            "api_url": f"/api/v1/rounds/{funding_round.pk}/",
            "admin_url": reverse("admin:funding_fundinground_change", args=[funding_round.pk]),
        },
    )


def round_export_csv(request: HttpRequest) -> HttpResponseBase:
    """Streams exactly the rounds the same query string shows on /rounds/, every page of them.

    1 query for the rounds plus 2 per chunk of 2,000 (investors, sources).
    """
    filterset = round_filter(request.GET)
    if not filterset.is_valid():
        return bad_filter(filterset)
    return rounds_csv_response(filterset.qs, "roundbook-rounds.csv")


round_feed_view = RoundFeed()


def round_feed(request: HttpRequest) -> HttpResponse:
    """The Atom feed, or a 400 naming the bad parameter (never a 500)."""
    filterset = round_filter(request.GET)
    if not filterset.is_valid():
        return bad_filter(filterset)
    return round_feed_view(request)

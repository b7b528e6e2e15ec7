"""Reads behind the pages: each function says how many queries it runs.

Aggregates are SQL (annotate, aggregate, Trunc*, subqueries); Python only
reshapes the few rows they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncQuarter, TruncYear

from companies.models import Company, Investor, Sector
from funding.models import FundingRound, Participation, Source, Stage
from funding.roundbook_format import round_rows
from funding.versions import figures_get, figures_set, rounds_version

# Stage groups of the dashboard chart, in stacking order.
EARLY = "Pre-seed to Series A"
GROWTH = "Series B and later"
OTHER = "Other (debt, grants, undisclosed…)"
STAGE_GROUPS = (EARLY, GROWTH, OTHER)
_EARLY_STAGES = [Stage.PRE_SEED, Stage.SEED, Stage.ANGEL, Stage.SERIES_A]
_GROWTH_STAGES = [
    Stage.SERIES_B,
    Stage.SERIES_C,
    Stage.SERIES_D,
    Stage.SERIES_E,
    Stage.SERIES_F,
    Stage.SERIES_G,
    Stage.SERIES_H,
    Stage.SERIES_I,
    Stage.SERIES_J,
    Stage.SERIES_UNKNOWN,
    Stage.CORPORATE_ROUND,
    Stage.PRIVATE_EQUITY,
]
STAGE_GROUP = Case(
    When(stage__in=_EARLY_STAGES, then=Value(EARLY)),
    When(stage__in=_GROWTH_STAGES, then=Value(GROWTH)),
    default=Value(OTHER),
    output_field=CharField(),
)
MONEY = DecimalField(max_digits=24, decimal_places=2)
ZERO = Value(Decimal(0), output_field=MONEY)


def with_investors(rounds: QuerySet[FundingRound]) -> QuerySet[FundingRound]:
    """Company joined, participations (leads first) with their investors prefetched: +1 query."""
    return rounds.select_related("company").prefetch_related(
        Prefetch(
            "participations",
            queryset=Participation.objects.select_related("investor").order_by(
                "-is_lead", "investor__name"
            ),
        )
    )


def round_for_page(round_id: int) -> FundingRound:
    """One round with company, sectors, investors and sources: 4 queries. Raises DoesNotExist."""
    return (
        with_investors(FundingRound.objects.select_related("exchange_rate"))
        .prefetch_related(
            "company__sectors", Prefetch("sources", queryset=Source.objects.order_by("id"))
        )
        .get(pk=round_id)
    )


# --- Dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterTotal:
    quarter: date
    group: str
    count: int
    amount_usd: Decimal


def capital_per_quarter(since: date) -> list[QuarterTotal]:
    """Capital and round count per quarter and stage group since `since`: 1 query."""
    rows = (
        FundingRound.objects.filter(announced_on__gte=since)
        .annotate(quarter=TruncQuarter("announced_on"), group=STAGE_GROUP)
        .values("quarter", "group")
        .annotate(count=Count("id"), amount=Coalesce(Sum("amount_usd"), ZERO))
        .order_by("quarter", "group")
    )
    return [
        QuarterTotal(r["quarter"], r["group"], r["count"], r["amount"] or Decimal(0)) for r in rows
    ]


@dataclass(frozen=True)
class YearTotals:
    year: int
    count: int
    amount_usd: Decimal
    previous_count: int
    previous_amount_usd: Decimal
    days_elapsed: int


def year_totals(today: date) -> YearTotals:
    """This year so far against the same days of the previous year: 1 query.

    The comparison is like for like (1 Jan to today's day in both years).
    """
    start = date(today.year, 1, 1)
    previous_start = date(today.year - 1, 1, 1)
    try:
        previous_same_day = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        previous_same_day = today.replace(year=today.year - 1, day=28)
    this_year = Q(announced_on__gte=start, announced_on__lte=today)
    last_year = Q(announced_on__gte=previous_start, announced_on__lte=previous_same_day)
    # The WHERE bound lets the date index skip every older round.
    totals = FundingRound.objects.filter(announced_on__gte=previous_start).aggregate(
        count=Count("id", filter=this_year),
        amount=Coalesce(Sum("amount_usd", filter=this_year), ZERO),
        previous_count=Count("id", filter=last_year),
        previous_amount=Coalesce(Sum("amount_usd", filter=last_year), ZERO),
    )
    return YearTotals(
        year=today.year,
        count=totals["count"],
        amount_usd=totals["amount"],
        previous_count=totals["previous_count"],
        previous_amount_usd=totals["previous_amount"],
        days_elapsed=(today - start).days + 1,
    )


def latest_rounds(limit: int = 10) -> list[dict[str, Any]]:
    """Newest announced first, as `round_rows` values: 1 query."""
    return list(round_rows(FundingRound.objects.order_by("-announced_on", "-id")[:limit]))


def largest_rounds(since: date, limit: int = 10) -> list[dict[str, Any]]:
    """Largest by USD amount announced on or after `since`, as `round_rows` values: 1 query."""
    rounds = FundingRound.objects.filter(announced_on__gte=since, amount_usd__isnull=False)
    return list(round_rows(rounds.order_by("-amount_usd", "-id")[:limit]))


def most_active_investors(since: date, limit: int = 10) -> QuerySet[Investor]:
    """Investors by rounds joined since `since` (then leads): 1 query.

    Filtered before counting, so that only the recent rounds (found by the date
    index) are joined and counted, rather than every participation.
    """
    return (
        Investor.objects.filter(participations__round__announced_on__gte=since)
        .annotate(
            recent_rounds=Count("participations"),
            recent_leads=Count("participations", filter=Q(participations__is_lead=True)),
        )
        .order_by("-recent_rounds", "-recent_leads", "name")[:limit]
    )


@dataclass(frozen=True)
class DashboardFigures:
    quarters: list[QuarterTotal]
    totals: YearTotals
    # (investor id, rounds joined, rounds led) of the most active investors, in order.
    active_investors: list[tuple[int, int, int]]


# Kept until the rounds change (funding.versions) or the day does; the time limit only
# frees memory.


def dashboard_figures(
    today: date, first_quarter: date, year_ago: date
) -> tuple[DashboardFigures, list[Investor]]:
    """The dashboard's aggregates over every round, with the most active investors.

    3 queries; while cached, 1 (the investors, read afresh since names change).
    Cached only in a shared cache (settings.CACHE_ROUND_FIGURES), under a key holding
    `rounds_version()`, which every write of rounds or participations changes, and
    the dates the figures are for. An investor renamed since keeps its place among
    investors with the same counts until the rounds change.
    """
    key = f"dashboard:{rounds_version()}:{today}:{first_quarter}:{year_ago}"
    figures: DashboardFigures | None = figures_get(key)
    if figures is not None:
        return figures, _ranked_investors(figures.active_investors)
    investors = list(most_active_investors(year_ago))
    figures = DashboardFigures(
        quarters=capital_per_quarter(first_quarter),
        totals=year_totals(today),
        active_investors=[(i.pk, i.recent_rounds, i.recent_leads) for i in investors],  # type: ignore[attr-defined]
    )
    figures_set(key, figures)
    return figures, investors


def _ranked_investors(ranking: list[tuple[int, int, int]]) -> list[Investor]:
    by_id = Investor.objects.in_bulk([pk for pk, _, _ in ranking])
    investors = []
    for pk, rounds, leads in ranking:
        if (investor := by_id.get(pk)) is not None:
            investor.recent_rounds = rounds  # type: ignore[attr-defined]
            investor.recent_leads = leads  # type: ignore[attr-defined]
            investors.append(investor)
    return investors


def rounds_count() -> int:
    """How many rounds there are: 1 query, none while cached (until the rounds change)."""
    if not settings.CACHE_ROUND_FIGURES:
        return FundingRound.objects.count()
    key = f"rounds:count:{rounds_version()}"
    count: int | None = figures_get(key)
    if count is None:
        count = FundingRound.objects.count()
        figures_set(key, count)
    return count


# --- Companies ------------------------------------------------------------------------

COMPANY_ORDERINGS: dict[str, tuple[Any, ...]] = {
    "name": (F("name").asc(), F("id").asc()),
    "-total_raised": (F("total_raised_usd").desc(nulls_last=True), F("name").asc()),
    "total_raised": (F("total_raised_usd").asc(nulls_last=True), F("name").asc()),
    "-latest_valuation": (F("latest_valuation_usd").desc(nulls_last=True), F("name").asc()),
    "latest_valuation": (F("latest_valuation_usd").asc(nulls_last=True), F("name").asc()),
    "-last_round": (F("last_round_on").desc(nulls_last=True), F("name").asc()),
    "last_round": (F("last_round_on").asc(nulls_last=True), F("name").asc()),
}


def _company_rounds() -> QuerySet[FundingRound]:
    return FundingRound.objects.filter(company=OuterRef("pk"))


def _funding_annotations() -> dict[str, Any]:
    totals = (
        _company_rounds().values("company").annotate(total=Sum("amount_usd")).values("total")[:1]
    )
    counts = _company_rounds().values("company").annotate(n=Count("id")).values("n")[:1]
    latest_priced = (
        _company_rounds()
        .filter(post_money_valuation_usd__isnull=False)
        .order_by("-announced_on", "-id")
        .values("post_money_valuation_usd")[:1]
    )
    last_round = _company_rounds().order_by("-announced_on", "-id").values("announced_on")[:1]
    return {
        "total_raised_usd": Subquery(totals, output_field=MONEY),
        "round_count": Coalesce(Subquery(counts), 0),
        "latest_valuation_usd": Subquery(latest_priced, output_field=MONEY),
        "last_round_on": Subquery(last_round),
    }


# Built once (about 1 ms a request otherwise): each query resolves its own copy.
_FUNDING_ANNOTATIONS = _funding_annotations()


def companies_with_funding(companies: QuerySet[Company]) -> QuerySet[Company]:
    """Total raised (USD), last round date, latest post-money (USD) and round count, as subqueries.

    Subqueries rather than joins so that a sector filter's join cannot double a sum.
    """
    return companies.annotate(**_FUNDING_ANNOTATIONS)


def companies_for_list(companies: QuerySet[Company], ordering: str) -> QuerySet[Company]:
    """A companies table: 1 query for the rows, 1 for their sectors."""
    return (
        companies_with_funding(companies)
        .prefetch_related("sectors")
        .order_by(*COMPANY_ORDERINGS[ordering])
    )


def company_for_page(slug: str) -> Company:
    """A company with its sectors and funding totals: 2 queries. Raises DoesNotExist."""
    return companies_with_funding(Company.objects.all()).prefetch_related("sectors").get(slug=slug)


def company_timeline(company: Company) -> list[FundingRound]:
    """Every round of `company`, oldest first, with investors and sources: 3 queries."""
    return list(
        with_investors(company.funding_rounds.all())
        .prefetch_related(Prefetch("sources", queryset=Source.objects.order_by("id")))
        .order_by("announced_on", "id")
    )


def company_investors(company: Company) -> QuerySet[Investor]:
    """Investors in `company`'s rounds, with rounds joined and led there: 1 query."""
    here = Q(participations__round__company=company)
    return (
        Investor.objects.filter(here)
        .annotate(
            rounds_here=Count("participations", filter=here),
            leads_here=Count("participations", filter=here & Q(participations__is_lead=True)),
        )
        .order_by("-leads_here", "-rounds_here", "name")
    )


# --- Investors ------------------------------------------------------------------------

INVESTOR_ORDERINGS: dict[str, tuple[Any, ...]] = {
    "-rounds": (F("round_count").desc(), F("name").asc()),
    "rounds": (F("round_count").asc(), F("name").asc()),
    "-leads": (F("lead_count").desc(), F("round_count").desc(), F("name").asc()),
    "leads": (F("lead_count").asc(), F("name").asc()),
    "name": (F("name").asc(), F("id").asc()),
}


def investors_with_counts(investors: QuerySet[Investor]) -> QuerySet[Investor]:
    """Rounds joined and led, as subqueries (safe under any filter join)."""
    own = Participation.objects.filter(investor=OuterRef("pk")).values("investor")
    return investors.annotate(
        round_count=Coalesce(Subquery(own.annotate(n=Count("id")).values("n")[:1]), 0),
        lead_count=Coalesce(
            Subquery(own.filter(is_lead=True).annotate(n=Count("id")).values("n")[:1]), 0
        ),
    )


def investors_for_list(investors: QuerySet[Investor], ordering: str) -> QuerySet[Investor]:
    """An investors table: 1 query."""
    return investors_with_counts(investors).order_by(*INVESTOR_ORDERINGS[ordering])


def investor_for_page(slug: str) -> Investor:
    """An investor with its round, lead and portfolio company counts: 1 query.

    Raises DoesNotExist.
    """
    companies = (
        Participation.objects.filter(investor=OuterRef("pk"))
        .values("investor")
        .annotate(n=Count("round__company", distinct=True))
        .values("n")[:1]
    )
    return (
        investors_with_counts(Investor.objects.select_related("company"))
        .annotate(company_count=Coalesce(Subquery(companies), 0))
        .get(slug=slug)
    )


def investor_portfolio(investor: Investor) -> list[Participation]:
    """The investor's participations, newest round first, with round and company: 1 query."""
    return list(
        investor.participations.select_related("round__company").order_by(
            "-round__announced_on", "-round_id"
        )
    )


def investor_rounds_per_year(investor: Investor) -> list[dict[str, Any]]:
    """Rounds joined and led per year, oldest first: 1 query."""
    rows = (
        investor.participations.annotate(year=TruncYear("round__announced_on"))
        .values("year")
        .annotate(count=Count("id"), leads=Count("id", filter=Q(is_lead=True)))
        .order_by("year")
    )
    return [dict(row) for row in rows]


def co_investors(investor: Investor, limit: int = 20) -> QuerySet[Investor]:
    """Other investors ranked by rounds shared with `investor`: 1 query."""
    shared = Q(participations__round__participations__investor=investor)
    return (
        Investor.objects.exclude(pk=investor.pk)
        .filter(shared)
        .annotate(shared_rounds=Count("participations__round", filter=shared, distinct=True))
        .order_by("-shared_rounds", "name")[:limit]
    )


def sector_choices() -> Sequence[tuple[str, str]]:
    """(slug, name) of every sector, for filter forms: 1 query."""
    return list(Sector.objects.order_by("name").values_list("slug", "name"))

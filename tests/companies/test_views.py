"""Company and investor pages: profile, valuation chart, portfolio, filters, query budgets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from companies.models import Company
from companies.services import company_update
from funding.services import ParticipationSpec
from tests.factories import CompanyFactory, InvestorFactory, RoundFactory, rounds_with_investors
from tests.pages import queries_with_10_and_100_rounds

pytestmark = pytest.mark.django_db


@pytest.fixture
def moonshot() -> Company:
    alibaba = InvestorFactory.create(name="Alibaba Group")
    tencent = InvestorFactory.create(name="Tencent")
    company = CompanyFactory.create(
        name="Moonshot AI", country="CN", city="Beijing", aliases=["月之暗面"]
    )
    company_update(company=company, sectors=["Chatbots"])
    RoundFactory.create(
        company=company, stage="seed", announced_on=date(2023, 6, 1), amount=None, currency=""
    )
    RoundFactory.create(
        company=company,
        stage="series_b",
        announced_on=date(2024, 2, 1),
        announced_on_precision="month",
        amount=Decimal("1e9"),
        post_money_valuation=Decimal("2.5e9"),
        investors=[
            ParticipationSpec(investor=alibaba, is_lead=True),
            ParticipationSpec(investor=tencent),
        ],
    )
    RoundFactory.create(
        company=company,
        stage="series_c",
        announced_on=date(2025, 12, 31),
        amount=Decimal("5e8"),
        post_money_valuation=Decimal("4.3e9"),
        investors=[ParticipationSpec(investor=tencent, is_lead=True)],
    )
    return company


def test_company_page_shows_profile_and_totals(client: Client, moonshot: Company) -> None:
    html = client.get("/companies/moonshot-ai/").content.decode()
    assert "Beijing, China" in html
    assert "Chatbots" in html
    assert "月之暗面" in html
    assert "$1.5B" in html, "total raised"
    assert "$4.3B" in html, "latest post-money valuation"


def test_company_page_has_one_chart_point_per_priced_round(
    client: Client, moonshot: Company
) -> None:
    html = client.get("/companies/moonshot-ai/").content.decode()
    assert 'id="valuation-chart"' in html
    assert html.count('<g class="point') == 2
    assert '<g class="point up">' in html


def test_company_page_timeline_is_newest_first_at_date_precision(
    client: Client, moonshot: Company
) -> None:
    html = client.get("/companies/moonshot-ai/").content.decode()
    assert html.index("31 Dec 2025") < html.index("Feb 2024") < html.index("1 Jun 2023")


def test_company_page_links_to_the_api(client: Client, moonshot: Company) -> None:
    html = client.get("/companies/moonshot-ai/").content.decode()
    assert 'href="/api/v1/companies/moonshot-ai/"' in html
    assert 'href="/api/v1/companies/moonshot-ai/valuations/"' in html


def test_an_unknown_company_is_a_404(client: Client) -> None:
    assert client.get("/companies/nobody/").status_code == 404


def test_company_page_query_count_does_not_grow_with_rounds(client: Client) -> None:
    small, large = queries_with_10_and_100_rounds(client, "/companies/batch-company-0/")
    # company with totals, sectors, rounds, their investors, their sources, investors
    assert len(small) == len(large) == 6, large


def test_company_list_sorts_by_total_raised(client: Client, moonshot: Company) -> None:
    RoundFactory.create(company=CompanyFactory.create(name="Small AI"), amount=Decimal(5))
    CompanyFactory.create(name="Unfunded AI")
    names = [c.name for c in client.get("/companies/?ordering=-total_raised").context["page"]]
    assert names == ["Moonshot AI", "Small AI", "Unfunded AI"]


def test_company_list_filters_by_sector_and_country(client: Client, moonshot: Company) -> None:
    CompanyFactory.create(name="Other AI", country="CN")
    page = client.get("/companies/?sector=chatbots&country=cn").context["page"]
    assert [c.name for c in page] == ["Moonshot AI"]


def test_company_list_rejects_an_unknown_sort_with_a_message(client: Client) -> None:
    response = client.get("/companies/?ordering=shoe_size")
    assert response.status_code == 400
    assert "ordering" in response.content.decode()


def test_company_list_query_count_does_not_grow_with_rows(client: Client) -> None:
    def more_rows() -> None:
        for i in range(60):
            CompanyFactory.create(name=f"Extra {i}")

    small, large = queries_with_10_and_100_rounds(
        client, "/companies/?ordering=-latest_valuation", more_rows=more_rows
    )
    # sectors (form), count, page of companies with subquery totals, their sectors
    assert len(small) == len(large) == 4, large


def test_investor_page_shows_portfolio_and_co_investors(client: Client, moonshot: Company) -> None:
    html = client.get("/investors/tencent/").content.decode()
    assert "Moonshot AI" in html
    assert 'id="rounds-per-year"' in html
    assert 'href="/investors/alibaba-group/"' in html, "co-investor"
    assert 'href="/api/v1/investors/tencent/"' in html


def test_investor_page_ranks_co_investors_by_shared_rounds(client: Client) -> None:
    rounds_with_investors(6)
    co = client.get("/investors/batch-investor-0/").context["co_investors"]
    assert [(i.name, i.shared_rounds) for i in co] == [
        ("Batch investor 1", 3),
        ("Batch investor 2", 3),
    ]


def test_investor_page_query_count_does_not_grow_with_rounds(client: Client) -> None:
    small, large = queries_with_10_and_100_rounds(client, "/investors/batch-investor-0/")
    # investor with counts, portfolio, rounds per year, co-investors
    assert len(small) == len(large) == 4, large


def test_investor_list_sorts_by_leads(client: Client, moonshot: Company) -> None:
    names = [i.name for i in client.get("/investors/?ordering=-leads").context["page"]]
    assert names[:2] == ["Alibaba Group", "Tencent"] or names[:2] == ["Tencent", "Alibaba Group"]
    assert client.get("/investors/?ordering=-leads").context["page"][0].lead_count == 1


def test_investor_list_filters_by_kind(client: Client, moonshot: Company) -> None:
    InvestorFactory.create(name="Angel One", kind="angel")
    assert [i.name for i in client.get("/investors/?kind=angel").context["page"]] == ["Angel One"]


def test_investor_list_query_count_does_not_grow_with_rows(client: Client) -> None:
    def more_rows() -> None:
        for i in range(60):
            InvestorFactory.create(name=f"Extra {i}")

    small, large = queries_with_10_and_100_rounds(client, "/investors/", more_rows=more_rows)
    # count, page of investors with subquery counts
    assert len(small) == len(large) == 2, large


@pytest.mark.parametrize(
    "url", ["/companies/%00/", "/investors/a%00b/", "/companies/%F0%9F%98%80/"]
)
def test_odd_slugs_are_a_404_never_a_server_error(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404


def test_investor_page_counts_portfolio_companies(client: Client) -> None:
    rounds_with_investors(7)
    investor = client.get("/investors/batch-investor-0/").context["investor"]
    assert (investor.round_count, investor.lead_count, investor.company_count) == (7, 7, 5)

"""The rounds pages and the dashboard: content, filters, errors and query budgets."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from funding.models import FundingRound
from funding.services import (
    ParticipationSpec,
    RoundDraft,
    SourceSpec,
    round_create,
    round_delete,
    round_draft_prepare,
    rounds_insert_prepared,
)
from tests.factories import CompanyFactory, InvestorFactory, RoundFactory, rounds_with_investors
from tests.pages import get_counting, queries_with_10_and_100_rounds

pytestmark = pytest.mark.django_db


@pytest.fixture
def moonshot_round() -> FundingRound:
    alibaba = InvestorFactory.create(name="Alibaba Group")
    hongshan = InvestorFactory.create(name="HongShan")
    moonshot = CompanyFactory.create(name="Moonshot AI", country="CN")
    return RoundFactory.create(
        company=moonshot,
        stage="series_b",
        announced_on=date(2024, 2, 1),
        announced_on_precision="month",
        amount=Decimal("1000000000"),
        post_money_valuation=Decimal("2500000000"),
        investors=[
            ParticipationSpec(investor=alibaba, is_lead=True),
            ParticipationSpec(investor=hongshan),
        ],
        sources=[SourceSpec(url="https://example.com/moonshot", title="Moonshot raises $1B")],
    )


def test_dashboard_shows_the_chart_and_the_latest_rounds(
    client: Client, moonshot_round: FundingRound
) -> None:
    html = client.get("/").content.decode()
    assert 'id="capital-per-quarter"' in html
    assert "Moonshot AI" in html
    assert "$1.0B" in html


def test_dashboard_query_count_does_not_grow_with_rounds(client: Client) -> None:
    small, large = queries_with_10_and_100_rounds(client, "/")
    # capital per quarter, year totals, most active investors, latest rounds and
    # largest rounds (each with their investors)
    assert len(small) == len(large) == 5, large


def _rounds_this_year(client: Client) -> int:
    html = client.get("/").content.decode()
    found = re.search(r'Rounds in \d+ so far</p>\s*<p class="figure">(\d+)</p>', html)
    assert found, html
    return int(found.group(1))


def test_dashboard_figures_are_cached_until_the_rounds_change(client: Client) -> None:
    rounds_with_investors(10)
    _, first = get_counting(client, "/")
    _, again = get_counting(client, "/")
    # cached: the most active investors (read afresh), latest and largest rounds
    assert len(first) == 5, first
    assert len(again) == 3, again


def test_dashboard_figures_are_not_cached_in_a_cache_of_one_process(
    client: Client, settings: Any
) -> None:
    # Without REDIS_URL each process has its own cache: an import in another process
    # could not make it forget its figures.
    settings.CACHE_ROUND_FIGURES = False
    rounds_with_investors(10)
    _, first = get_counting(client, "/")
    _, again = get_counting(client, "/")
    assert len(first) == len(again) == 5, again


def test_a_saved_round_counts_on_the_dashboard_at_once(client: Client) -> None:
    RoundFactory.create(announced_on=timezone.localdate())
    assert _rounds_this_year(client) == 1
    RoundFactory.create(announced_on=timezone.localdate())
    assert _rounds_this_year(client) == 2


def test_an_imported_round_counts_on_the_dashboard_at_once(client: Client) -> None:
    assert _rounds_this_year(client) == 0
    draft = RoundDraft(
        funding_round=FundingRound(
            company=CompanyFactory.create(),
            stage="seed",
            announced_on=timezone.localdate(),
            amount=Decimal(1_000_000),
            currency="USD",
        )
    )
    round_draft_prepare(draft=draft)
    rounds_insert_prepared(drafts=[draft])
    assert _rounds_this_year(client) == 1


def test_a_deleted_round_leaves_the_dashboard_at_once(client: Client) -> None:
    funding_round = RoundFactory.create(announced_on=timezone.localdate())
    assert _rounds_this_year(client) == 1
    round_delete(funding_round=funding_round)
    assert _rounds_this_year(client) == 0


def test_round_list_shows_money_and_dates_as_people_read_them(
    client: Client, moonshot_round: FundingRound
) -> None:
    RoundFactory.create(
        company=CompanyFactory.create(name="Mistral AI"),
        announced_on=date(2023, 7, 1),
        announced_on_precision="quarter",
        amount=Decimal("385000000"),
        currency="EUR",
    )
    html = client.get("/rounds/").content.decode()
    assert "Feb 2024" in html
    assert "Q3 2023" in html
    assert "€385M" in html
    assert "≈ $" in html
    assert "Series B" in html


def test_round_list_is_newest_first(client: Client) -> None:
    rounds = rounds_with_investors(3)
    listed = list(client.get("/rounds/").context["page"].object_list)
    assert listed == sorted(rounds, key=lambda r: (r.announced_on, r.pk), reverse=True)


def test_round_list_filters_by_the_api_parameters(
    client: Client, moonshot_round: FundingRound
) -> None:
    rounds_with_investors(3)
    page = client.get("/rounds/?lead_investor=alibaba-group&country=cn").context["page"]
    assert list(page.object_list) == [moonshot_round]


def test_round_list_sorts_by_amount(client: Client) -> None:
    rounds = rounds_with_investors(3)
    page = client.get("/rounds/?ordering=-amount_usd").context["page"]
    assert list(page.object_list) == sorted(rounds, key=lambda r: r.amount_usd or 0, reverse=True)


def test_round_list_keeps_filters_in_pagination_links(client: Client) -> None:
    rounds_with_investors(55)
    html = client.get("/rounds/?stage=seed&stage=series_a&ordering=amount_usd").content.decode()
    assert "?stage=seed&amp;stage=series_a&amp;ordering=amount_usd&amp;page=2" not in html
    page = client.get("/rounds/?ordering=amount_usd").content.decode()
    assert "?ordering=amount_usd&amp;page=2" in page


def test_a_bad_filter_gives_the_page_with_a_message(client: Client) -> None:
    response = client.get("/rounds/?min_amount_usd=lots&announced_after=yesterday")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters could not be read" in html
    assert "min_amount_usd" in html
    assert "announced_after" in html


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=99999", "stage=", "ordering=", "q=%00", "country=zz", "sector=nope"],
)
def test_odd_parameters_never_give_a_server_error(client: Client, query: str) -> None:
    assert client.get(f"/rounds/?{query}").status_code in {200, 400}


def test_round_list_links_to_the_same_query_in_the_api(client: Client) -> None:
    html = client.get("/rounds/?stage=seed&page=2").content.decode()
    assert 'href="/api/v1/rounds/?stage=seed"' in html
    assert 'href="/rounds/export.csv?stage=seed"' in html


def test_round_list_query_count_does_not_grow_with_rounds(client: Client) -> None:
    small, large = queries_with_10_and_100_rounds(client, "/rounds/?country=US")
    # sectors (form), count, page of rounds with their investors
    assert len(small) == len(large) == 3, large


def test_round_list_without_filters_counts_the_rounds_once_until_they_change(
    client: Client,
) -> None:
    rounds_with_investors(3)
    _, first = get_counting(client, "/rounds/")
    _, again = get_counting(client, "/rounds/")
    assert len(first) == 3, first
    assert len(again) == 2, again  # sectors, page of rounds
    RoundFactory.create()
    response, _ = get_counting(client, "/rounds/")
    assert "4 rounds" in response.content.decode()


def test_round_detail_shows_investors_and_sources(
    client: Client, moonshot_round: FundingRound
) -> None:
    html = client.get(f"/rounds/{moonshot_round.pk}/").content.decode()
    assert "Alibaba Group" in html
    assert "lead" in html
    assert "https://example.com/moonshot" in html
    assert "$2.5B" in html
    assert f'href="/api/v1/rounds/{moonshot_round.pk}/"' in html


def test_round_detail_query_count_is_fixed(client: Client) -> None:
    funding_round = rounds_with_investors(1)[0]
    _, queries = get_counting(client, f"/rounds/{funding_round.pk}/")
    # round + company + rate, sectors, investors, sources
    assert len(queries) == 4, queries


def test_staff_get_a_link_to_the_admin(client: Client, moonshot_round: FundingRound) -> None:
    admin_link = f"/admin/funding/fundinground/{moonshot_round.pk}/change/"
    assert admin_link not in client.get(f"/rounds/{moonshot_round.pk}/").content.decode()
    client.force_login(User.objects.create_user("staff", is_staff=True))
    assert admin_link in client.get(f"/rounds/{moonshot_round.pk}/").content.decode()


def test_an_unknown_round_is_a_styled_404(client: Client) -> None:
    response = client.get("/rounds/999999/")
    assert response.status_code == 404
    assert "Roundbook" in response.content.decode()
    assert "Not found" in response.content.decode()
    assert "No round with that number." in response.content.decode()


def test_an_unknown_address_is_a_styled_404_without_internals(client: Client) -> None:
    html = client.get("/no/such/page/").content.decode()
    assert "roundbook.css" in html
    assert "Resolver404" not in html


def test_the_500_page_is_in_the_site_style(client: Client) -> None:
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert "roundbook.css" in html


@pytest.mark.parametrize(
    ("url", "admin_link"),
    [
        ("/", "/admin/"),
        ("/rounds/", "/admin/funding/fundinground/"),
        ("/companies/", "/admin/companies/company/"),
        ("/investors/", "/admin/companies/investor/"),
    ],
)
def test_list_pages_link_staff_to_the_admin(client: Client, url: str, admin_link: str) -> None:
    client.force_login(User.objects.create_user("staff", is_staff=True))
    assert f'href="{admin_link}"' in client.get(url).content.decode()


def test_round_list_links_unicode_slugs_as_reverse_does(client: Client) -> None:
    company = CompanyFactory.create(name="月之暗面")
    investor = InvestorFactory.create(name="红杉中国")
    funding_round = RoundFactory.create(
        company=company, investors=[ParticipationSpec(investor=investor)]
    )
    html = client.get("/rounds/").content.decode()
    assert f'href="{reverse("companies:detail", args=[company.slug])}"' in html
    assert f'href="{reverse("companies:investor", args=[investor.slug])}"' in html
    assert f'href="{reverse("funding:detail", args=[funding_round.pk])}"' in html


def test_round_list_escapes_names_in_its_cells(client: Client) -> None:
    investor = InvestorFactory.create(name="A&B <Capital>")
    RoundFactory.create(
        company=CompanyFactory.create(name="<b>Bold</b> AI"),
        investors=[ParticipationSpec(investor=investor, is_lead=True)],
    )
    html = client.get("/rounds/").content.decode()
    assert 'A&amp;B &lt;Capital&gt;</a><span class="tag">lead</span>' in html
    assert "&lt;b&gt;Bold&lt;/b&gt; AI" in html
    assert "<b>Bold" not in html
    assert "<Capital>" not in html


@pytest.mark.django_db
def test_pages_and_round_writes_keep_working_while_the_shared_cache_is_down(
    client: Client, settings: Any
) -> None:
    settings.CACHE_ROUND_FIGURES = True
    settings.CACHES = {  # nothing listens on port 1
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    company = CompanyFactory.create(name="Outage AI")
    round_create(company=company, stage="seed", announced_on=date(2024, 5, 1))
    for path in ("/", "/rounds/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Outage AI" in response.content.decode(), path

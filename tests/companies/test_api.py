"""The companies and investors API: contract on the demo data, filters, writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_data")]


def all_pages(client: Client, url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        page = client.get(next_url).json()
        rows += page["results"]
        next_url = page["next"]
    return rows


def test_company_detail_describes_moonshot(client: Client) -> None:
    body = client.get("/api/v1/companies/moonshot-ai/").json()
    assert body["name"] == "Moonshot AI"
    assert (body["country"], body["city"]) == ("CN", "Beijing")
    assert "月之暗面" in body["aliases"]
    assert {"slug", "name"} <= set(body["sectors"][0])


def test_companies_list_counts_and_pages_every_company(client: Client) -> None:
    first = client.get("/api/v1/companies/?page_size=7").json()
    rows = all_pages(client, "/api/v1/companies/?page_size=7")
    assert first["count"] == len(rows) == len({r["slug"] for r in rows})
    assert "moonshot-ai" in {r["slug"] for r in rows}


def test_investor_detail_links_the_company_it_is(client: Client) -> None:
    body = client.get("/api/v1/investors/alibaba-group/").json()
    assert body["name"] == "Alibaba Group"
    assert body["kind"] in {"corporate", "venture_capital"}
    assert set(body) >= {"slug", "aliases", "country", "website", "company"}


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        ("/api/v1/companies/?country=cn", "country", "CN"),
        ("/api/v1/companies/?status=active", "status", "active"),
        ("/api/v1/investors/?kind=corporate", "kind", "corporate"),
        ("/api/v1/investors/?country=US", "country", "US"),
    ],
)
def test_organization_filters_keep_only_matches(
    client: Client, url: str, field: str, value: str
) -> None:
    rows = all_pages(client, url)
    assert rows
    assert {r[field] for r in rows} == {value}
    everything = all_pages(client, url.split("?", 1)[0] + "?page_size=100")
    assert [r for r in everything if r[field] == value] == rows


def test_q_finds_a_company_by_alias(client: Client) -> None:
    rows = all_pages(client, "/api/v1/companies/?q=moonshot")
    assert [r["slug"] for r in rows] == ["moonshot-ai"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/companies/?status=zombie", "status"),
        ("/api/v1/investors/?kind=uncle", "kind"),
        ("/api/v1/companies/?page=0", "page"),
        ("/api/v1/investors/?page_size=500", "page_size"),
    ],
)
def test_bad_list_parameters_are_400(client: Client, url: str, parameter: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert parameter in response.json()["errors"]


def test_a_page_past_the_end_is_404(client: Client) -> None:
    assert client.get("/api/v1/companies/?page=999").status_code == 404

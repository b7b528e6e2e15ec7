"""The rounds API on the demo data: the contract of SPEC.md, filters, sync, CSV, query budget."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from funding.models import FundingRound
from funding.record import CSV_COLUMNS
from tests.factories import CompanyFactory, RoundFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_data")]

SPEC_ROUND_FIELDS = {
    "id",
    "company",
    "stage",
    "announced_on",
    "announced_on_precision",
    "amount",
    "currency",
    "amount_usd",
    "pre_money_valuation",
    "post_money_valuation",
    "pre_money_valuation_usd",
    "post_money_valuation_usd",
    "investors",
    "sources",
    "status",
    "created_at",
    "updated_at",
}
OTHER_INVESTORS = {"Monolith Management", "Long-Z", "HongShan"}


def get(client: Client, url: str, **headers: Any) -> Any:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def walk(client: Client, url: str) -> list[dict[str, Any]]:
    """Every row of a cursor-paginated list, following `next`."""
    rows: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        page = get(client, next_url)
        rows += page["results"]
        next_url = page["next"]
    return rows


def csv_text(response: Any) -> str:
    return b"".join(response.streaming_content).decode()


def reference(rows: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [
        r
        for r in rows
        if r["company"]["slug"] == "moonshot-ai" and r["announced_on"].startswith("2024-02")
    ]
    return found


def assert_is_reference_round(record: dict[str, Any]) -> None:
    assert record["company"] == {"slug": "moonshot-ai", "name": "Moonshot AI"}
    assert Decimal(record["amount_usd"]) == Decimal("1000000000")
    assert Decimal(record["post_money_valuation_usd"]) == Decimal("2500000000")
    assert Decimal(record["pre_money_valuation_usd"]) == Decimal("1500000000")
    leads = [i["name"] for i in record["investors"] if i["is_lead"]]
    others = {i["name"] for i in record["investors"] if not i["is_lead"]}
    assert leads == ["Alibaba Group"]
    assert others == OTHER_INVESTORS
    assert record["sources"]
    assert record["sources"][0]["url"].startswith("http")


def test_rounds_list_contains_the_reference_round(client: Client) -> None:
    assert_is_reference_round(reference(walk(client, "/api/v1/rounds/?page_size=100")))


def test_round_detail_is_the_reference_round_with_every_spec_field(client: Client) -> None:
    pk = FundingRound.objects.get(
        company__slug="moonshot-ai", announced_on__year=2024, stage="series_b"
    ).pk
    record = get(client, f"/api/v1/rounds/{pk}/")
    assert_is_reference_round(record)
    assert set(record) >= SPEC_ROUND_FIELDS
    assert record["amount"] == "1000000000"
    assert record["currency"] == "USD"
    assert date.fromisoformat(record["announced_on"])


def test_company_rounds_contain_the_reference_round(client: Client) -> None:
    rows = walk(client, "/api/v1/companies/moonshot-ai/rounds/")
    assert {r["company"]["slug"] for r in rows} == {"moonshot-ai"}
    assert_is_reference_round(reference(rows))


def test_investor_rounds_contain_the_reference_round(client: Client) -> None:
    rows = walk(client, "/api/v1/investors/hongshan/rounds/")
    assert all("hongshan" in {i["slug"] for i in r["investors"]} for r in rows)
    assert_is_reference_round(reference(rows))


def test_valuation_series_starts_with_the_reference_round(client: Client) -> None:
    series = get(client, "/api/v1/companies/moonshot-ai/valuations/")["results"]
    first = series[0]
    assert first["date"].startswith("2024-02")
    assert Decimal(first["post_money_valuation_usd"]) == Decimal("2500000000")
    assert Decimal(first["amount_usd"]) == Decimal("1000000000")
    assert first["change"] is None
    assert [p["date"] for p in series] == sorted(p["date"] for p in series)
    for before, after in pairwise(series):
        expected = (
            "up"
            if Decimal(after["post_money_valuation_usd"])
            > Decimal(before["post_money_valuation_usd"])
            else "down"
            if Decimal(after["post_money_valuation_usd"])
            < Decimal(before["post_money_valuation_usd"])
            else "flat"
        )
        assert after["change"] == expected


def test_unknown_company_or_investor_is_404(client: Client) -> None:
    for url in (
        "/api/v1/companies/nobody/rounds/",
        "/api/v1/companies/nobody/valuations/",
        "/api/v1/investors/nobody/rounds/",
        "/api/v1/rounds/999999/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/problem+json"


def test_stats_count_the_reference_round_in_its_quarter(client: Client) -> None:
    body = get(client, "/api/v1/stats/funding/?period=quarter&company=moonshot-ai")
    assert body["period"] == "quarter"
    assert body["group_by"] is None
    q1 = next(r for r in body["results"] if r["period_start"] == "2024-01-01")
    assert q1["count"] == 1
    assert Decimal(q1["amount_usd"]) == Decimal("1000000000")
    starts = [r["period_start"] for r in body["results"]]
    assert starts == sorted(starts)


def test_stats_totals_match_the_rounds_whatever_the_grouping(client: Client) -> None:
    rounds = walk(client, "/api/v1/rounds/?page_size=100&country=CN")
    total = sum(Decimal(r["amount_usd"]) for r in rounds if r["amount_usd"])
    for group_by in ("", "&group_by=stage", "&group_by=country"):
        body = get(client, f"/api/v1/stats/funding/?period=year&country=CN{group_by}")
        assert sum(r["count"] for r in body["results"]) == len(rounds)
        assert sum(Decimal(r["amount_usd"] or 0) for r in body["results"]) == total


def test_stats_reject_an_unknown_period(client: Client) -> None:
    response = client.get("/api/v1/stats/funding/?period=week")
    assert response.status_code == 400
    assert "period" in response.json()["errors"]


# --- Filters as properties -----------------------------------------------------------

FILTERS: list[tuple[str, Any]] = [
    ("company=moonshot-ai", lambda r: r["company"]["slug"] == "moonshot-ai"),
    ("investor=alibaba-group", lambda r: "alibaba-group" in {i["slug"] for i in r["investors"]}),
    (
        "lead_investor=alibaba-group",
        lambda r: any(i["slug"] == "alibaba-group" and i["is_lead"] for i in r["investors"]),
    ),
    ("stage=seed&stage=series_b", lambda r: r["stage"] in {"seed", "series_b"}),
    ("announced_after=2024-01-01", lambda r: r["announced_on"] >= "2024-01-01"),
    ("announced_before=2023-12-31", lambda r: r["announced_on"] <= "2023-12-31"),
    ("min_amount_usd=1000000000", lambda r: r["amount_usd"] and Decimal(r["amount_usd"]) >= 10**9),
    ("max_amount_usd=100000000", lambda r: r["amount_usd"] and Decimal(r["amount_usd"]) <= 10**8),
    ("updated_since=2000-01-01T00:00:00Z", lambda r: True),
]


@pytest.mark.parametrize(("query", "holds"), FILTERS, ids=[q for q, _ in FILTERS])
def test_each_filter_returns_only_matching_rounds_and_nothing_else(
    client: Client, query: str, holds: Any
) -> None:
    everything = walk(client, "/api/v1/rounds/?page_size=100")
    filtered = walk(client, f"/api/v1/rounds/?page_size=7&{query}")
    assert filtered, "the demo data has rounds for every filter"
    assert all(holds(r) for r in filtered)
    assert [r for r in everything if holds(r)] == filtered


def test_country_sector_and_q_filters_agree_with_the_companies(client: Client) -> None:
    chinese = {
        c["slug"] for c in get(client, "/api/v1/companies/?country=CN&page_size=100")["results"]
    }
    rows = walk(client, "/api/v1/rounds/?country=cn")
    assert rows
    assert {r["company"]["slug"] for r in rows} <= chinese
    by_q = walk(client, "/api/v1/rounds/?q=%E6%9C%88%E4%B9%8B%E6%9A%97%E9%9D%A2")  # 月之暗面
    assert {r["company"]["slug"] for r in by_q} == {"moonshot-ai"}
    sector = walk(client, "/api/v1/rounds/?sector=foundation-models")
    assert sector
    members = {
        c["slug"]
        for c in get(client, "/api/v1/companies/?sector=foundation-models&page_size=100")["results"]
    }
    assert {r["company"]["slug"] for r in sector} <= members


@pytest.mark.parametrize(
    "ordering",
    [
        "announced_on",
        "-announced_on",
        "amount_usd",
        "-amount_usd",
        "post_money_valuation_usd",
        "-post_money_valuation_usd",
    ],
)
def test_each_ordering_walks_every_round_once_in_order(client: Client, ordering: str) -> None:
    rows = walk(client, f"/api/v1/rounds/?page_size=4&ordering={ordering}")
    assert sorted(r["id"] for r in rows) == sorted(
        FundingRound.objects.values_list("id", flat=True)
    )
    field = ordering.lstrip("-")
    known = [r[field] for r in rows if r[field] is not None]
    key = Decimal if field != "announced_on" else str
    assert [key(v) for v in known] == sorted(
        (key(v) for v in known), reverse=ordering.startswith("-")
    )
    unknown_at = [i for i, r in enumerate(rows) if r[field] is None]
    assert unknown_at == list(range(len(rows) - len(unknown_at), len(rows))), "unknown last"


def test_previous_links_walk_back_to_the_first_page(client: Client) -> None:
    first = get(client, "/api/v1/rounds/?page_size=5")
    second = get(client, first["next"])
    third = get(client, second["next"])
    assert get(client, third["previous"])["results"] == second["results"]
    back = get(client, second["previous"])
    assert back["results"] == first["results"]
    assert back["previous"] is None


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("announced_after=yesterday", "announced_after"),
        ("min_amount_usd=lots", "min_amount_usd"),
        ("stage=series_z", "stage"),
        ("ordering=name", "ordering"),
        ("country=XX", "country"),
        ("updated_since=soon", "updated_since"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=ten", "page_size"),
        ("cursor=garbage", "cursor"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client: Client, query: str, parameter: str) -> None:
    response = client.get(f"/api/v1/rounds/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "errors"}
    assert parameter in body["errors"]


def test_a_cursor_from_another_ordering_is_refused(client: Client) -> None:
    cursor = get(client, "/api/v1/rounds/?page_size=2")["next"].split("cursor=")[1].split("&")[0]
    response = client.get(f"/api/v1/rounds/?ordering=amount_usd&cursor={cursor}")
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


# --- Sync: updated_since, ETag, Last-Modified ----------------------------------------


def test_updated_since_returns_only_rounds_changed_since(client: Client) -> None:
    changed = FundingRound.objects.order_by("-updated_at").first()
    assert changed is not None
    since = changed.updated_at.isoformat().replace("+00:00", "Z")
    rows = walk(client, f"/api/v1/rounds/?updated_since={since}")
    assert changed.pk in {r["id"] for r in rows}
    assert all(r["updated_at"] >= changed.updated_at.isoformat() for r in rows)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/rounds/?page_size=10",
        "/api/v1/companies/moonshot-ai/",
        "/api/v1/companies/?page_size=5",
        "/api/v1/companies/moonshot-ai/valuations/",
    ],
)
def test_an_unchanged_resource_answers_304_to_its_etag(client: Client, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"]
    assert first["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    since = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert since.status_code == 304


def test_a_changed_round_gets_a_new_etag(client: Client) -> None:
    round_ = FundingRound.objects.order_by("id").first()
    assert round_ is not None
    url = f"/api/v1/rounds/{round_.pk}/"
    etag = client.get(url)["ETag"]
    round_.notes = "corrected"
    round_.save()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


# --- CSV --------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "headers"), [("format=csv", {}), ("", {"Accept": "text/csv"})])
def test_csv_streams_the_filtered_set_in_roundbook_columns(
    client: Client, query: str, headers: dict[str, str]
) -> None:
    response = client.get(f"/api/v1/rounds/?company=moonshot-ai&{query}", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_text(response))))
    assert rows[0] == CSV_COLUMNS
    assert len(rows) - 1 == FundingRound.objects.filter(company__slug="moonshot-ai").count()
    ref = next(r for r in rows[1:] if r[CSV_COLUMNS.index("announced_on")].startswith("2024-02"))
    assert ref[CSV_COLUMNS.index("amount_usd")] == "1000000000"
    assert ref[CSV_COLUMNS.index("lead_investors")] == "Alibaba Group"


def test_csv_escapes_cells_a_spreadsheet_would_run(client: Client) -> None:
    round_ = FundingRound.objects.get(
        company__slug="moonshot-ai", announced_on__year=2024, stage="series_b"
    )
    round_.notes = '=HYPERLINK("http://evil")'
    round_.save()
    response = client.get("/api/v1/rounds/?company=moonshot-ai&format=csv")
    rows = list(csv.DictReader(io.StringIO(csv_text(response))))
    assert any(r["notes"] == '\'=HYPERLINK("http://evil")' for r in rows)


def test_an_accept_the_api_cannot_serve_is_406(client: Client) -> None:
    for url, accept in (("/api/v1/rounds/", "application/xml"), ("/api/v1/companies/", "text/csv")):
        response = client.get(url, headers={"Accept": accept})
        assert response.status_code == 406
        assert response["Content-Type"] == "application/problem+json"


# --- Query budget ------------------------------------------------------------------------

LISTS = [
    "/api/v1/rounds/",
    "/api/v1/rounds/?ordering=-amount_usd&stage=series_b&stage=series_a&country=CN",
    "/api/v1/companies/moonshot-ai/rounds/",
    "/api/v1/investors/alibaba-group/rounds/",
    "/api/v1/companies/",
    "/api/v1/investors/",
    "/api/v1/companies/moonshot-ai/valuations/",
    "/api/v1/stats/funding/?group_by=sector",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("page_size", [1, 10, 100])
def test_every_list_runs_at_most_three_queries(
    client: Client, django_assert_max_num_queries: Any, url: str, page_size: int
) -> None:
    # Rounds: the page with its company, the page's investors, the page's sources.
    # Companies: count, page, the page's sectors. Investors: count, page with company.
    # Valuations and stats: one.
    separator = "&" if "?" in url else "?"
    with django_assert_max_num_queries(3):
        response = client.get(f"{url}{separator}page_size={page_size}")
    assert response.status_code == 200
    results = response.json()["results"]
    if "valuations" not in url and "stats" not in url:
        assert 1 <= len(results) <= page_size


def test_a_stats_total_past_one_rounds_digits_keeps_to_the_schema(client: Client) -> None:
    """Two rounds of 999999999999999999.99 sum to 19 digits before the point; the schema
    documented a round's 18."""
    document = client.get("/api/schema/?format=json").json()
    row = document["components"]["schemas"]["StatsRow"]["properties"]["amount_usd"]
    biggest = Decimal("999999999999999999.99")
    company = CompanyFactory.create(name="Biggest Co")
    for day in ("2024-01-10", "2024-02-10"):
        RoundFactory.create(
            company=company, announced_on=date.fromisoformat(day), amount=biggest, currency="USD"
        )
    body = get(client, f"/api/v1/stats/funding/?period=year&company={company.slug}")
    total = body["results"][0]["amount_usd"]
    if connection.vendor == "postgresql":  # SQLite sums decimals as floats
        assert Decimal(total) == 2 * biggest
    assert Decimal(total) > biggest
    assert re.fullmatch(row["pattern"], total), (row["pattern"], total)

"""/rounds/export.csv: the same query string as /rounds/, every matching round, streamed."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.test import Client

from funding.record import CSV_COLUMNS
from tests.factories import CompanyFactory, RoundFactory, rounds_with_investors
from tests.pages import queries_with_10_and_100_rounds

pytestmark = pytest.mark.django_db


def exported(client: Client, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/rounds/export.csv?{query}")
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


def test_it_streams_exactly_the_rounds_the_list_shows(client: Client) -> None:
    rounds_with_investors(60)
    query = "country=CN&ordering=-amount_usd"
    listed = client.get(f"/rounds/?{query}").context["page"].paginator.object_list
    rows = exported(client, query)
    assert [int(row["id"]) for row in rows] == [r.pk for r in listed]
    assert len(rows) > 20, "every page, not only the first"


def test_it_writes_the_roundbook_csv_columns(client: Client) -> None:
    rounds_with_investors(1)
    response = client.get("/rounds/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header = b"".join(response.streaming_content).decode().splitlines()[0]  # type: ignore[attr-defined]
    assert header.split(",") == CSV_COLUMNS


def test_it_escapes_spreadsheet_formulas(client: Client) -> None:
    company = CompanyFactory.create(name="=HYPERLINK(1)")
    RoundFactory.create(company=company, notes="+cmd", announced_on=date(2024, 1, 1))
    row = exported(client)[0]
    assert row["company_name"] == "'=HYPERLINK(1)"
    assert row["notes"] == "'+cmd"


def test_a_bad_filter_is_a_400_with_the_reason(client: Client) -> None:
    response = client.get("/rounds/export.csv?announced_before=soon")
    assert response.status_code == 400
    assert "announced_before" in response.content.decode()


def test_query_count_does_not_grow_with_rounds(client: Client) -> None:
    small, large = queries_with_10_and_100_rounds(client, "/rounds/export.csv")
    # rounds with their investors and sources aggregated (read in chunks of 2,000)
    assert len(small) == len(large) == 1, large

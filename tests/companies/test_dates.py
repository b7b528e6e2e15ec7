"""One rule for recorded dates: 1900-01-01 to one year after today, on every write path."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client

from companies.dates import DATE_RANGE_MESSAGE, latest_date
from companies.models import Company
from funding.models import FundingRound, ImportRowError, Source
from tests.api.test_writes import send, token_for
from tests.factories import CompanyFactory, RoundFactory

pytestmark = pytest.mark.django_db

TOO_LATE = "9999-12-31"
TOO_EARLY = "0001-01-01"


def test_the_last_day_allowed_is_one_year_after_today() -> None:
    assert latest_date(date(2026, 12, 7)) == date(2027, 12, 7)
    assert latest_date(date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize("day", [TOO_LATE, TOO_EARLY, "1899-12-31"])
def test_a_round_dated_out_of_range_is_a_400_on_announced_on(client: Client, day: str) -> None:
    company = CompanyFactory.create(name="Dated Co")
    body = {
        "company": company.slug,
        "stage": "seed",
        "announced_on": day,
        "amount": "5000000",
        "currency": "EUR",
    }
    response = send(client, "POST", "/api/v1/rounds/", body, token_for(permitted=True))
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"announced_on": [DATE_RANGE_MESSAGE]}
    assert not FundingRound.objects.exists()


def test_a_round_dated_within_the_range_is_stored(client: Client) -> None:
    company = CompanyFactory.create(name="Soon Co")
    soon = (date.today() + timedelta(days=300)).isoformat()  # noqa: DTZ011 (a calendar day)
    for day in ("1900-01-01", soon):
        body = {"company": company.slug, "stage": "seed", "announced_on": day}
        response = send(client, "POST", "/api/v1/rounds/", body, token_for(permitted=True))
        assert response.status_code == 201, response.content


@pytest.mark.parametrize("day", [TOO_LATE, TOO_EARLY])
def test_a_company_founded_out_of_range_is_a_400_on_founded_on(client: Client, day: str) -> None:
    body = {"name": "Old Co", "founded_on": day}
    response = send(client, "POST", "/api/v1/companies/", body, token_for(permitted=True))
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"founded_on": [DATE_RANGE_MESSAGE]}
    assert not Company.objects.filter(name="Old Co").exists()


@pytest.mark.parametrize("day", [TOO_LATE, TOO_EARLY])
def test_a_source_published_out_of_range_is_a_400_on_published_on(client: Client, day: str) -> None:
    funding_round = RoundFactory.create()
    body = {"sources": [{"url": "https://example.com/news", "published_on": day}]}
    response = send(
        client, "PATCH", f"/api/v1/rounds/{funding_round.pk}/", body, token_for(permitted=True)
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"sources[0].published_on": [DATE_RANGE_MESSAGE]}
    assert not Source.objects.exists()


def test_the_admin_says_the_same(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/companies/company/add/",
        {"name": "Admin Old Co", "founded_on": TOO_LATE, "status": "active"},
    )
    assert response.status_code == 200
    assert DATE_RANGE_MESSAGE in response.content.decode()
    assert not Company.objects.filter(name="Admin Old Co").exists()


def test_an_imported_row_dated_out_of_range_is_rejected_with_the_same_message(
    tmp_path: Path,
) -> None:
    export = tmp_path / "rounds.csv"
    export.write_text(
        "company,company_name,stage,announced_on,amount,currency\n"
        f"far-co,Far Co,seed,{TOO_LATE},1000000,USD\n"
        "near-co,Near Co,seed,2024-05-01,1000000,USD\n"
    )
    call_command("import_rounds", str(export), "--format=roundbook", stdout=StringIO())
    error = ImportRowError.objects.get()
    assert error.line == 2
    assert DATE_RANGE_MESSAGE in json.dumps(error.reasons)
    assert list(FundingRound.objects.values_list("company__name", flat=True)) == ["Near Co"]


def test_the_database_refuses_a_date_before_1900() -> None:
    funding_round = RoundFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingRound.objects.filter(pk=funding_round.pk).update(announced_on=date(1, 1, 1))


def test_a_conversion_too_large_for_its_usd_column_is_reported_on_the_amount_sent(
    client: Client,
) -> None:
    """It was reported on amount_usd, a field the client never sent."""
    company = CompanyFactory.create(name="Huge Co")
    body: dict[str, Any] = {
        "company": company.slug,
        "stage": "seed",
        "announced_on": "2024-03-01",
        "amount": "999999999999999999.99",
        "currency": "GBP",  # worth more than a dollar: the USD figure needs 19 digits
    }
    response = send(client, "POST", "/api/v1/rounds/", body, token_for(permitted=True))
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert list(errors) == ["amount"], errors
    assert "US dollars" in errors["amount"][0]
    assert Decimal(body["amount"]) > 0

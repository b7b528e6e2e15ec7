"""One rule for stored text: no control characters (tab and line breaks in multi-line text),
refused on every write path; text stored before the rule never breaks a page or the feed."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.test import Client

from companies.models import Company, Investor
from funding.models import FundingRound, ImportRowError
from tests.api.test_writes import send, token_for
from tests.factories import CompanyFactory, RoundFactory

pytestmark = pytest.mark.django_db

NAME_MESSAGE = "Remove the control character U+0002 (one line of text)."


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("POST", "/api/v1/companies/", {"name": "Ctl\x02 Co"}, "name"),
        ("POST", "/api/v1/companies/", {"name": "Ok Co", "city": "Par\x02is"}, "city"),
        ("POST", "/api/v1/companies/", {"name": "Ok Co", "aliases": ["A\x02"]}, "aliases[0]"),
        ("POST", "/api/v1/companies/", {"name": "Ok Co", "sectors": ["A\x02"]}, "sectors[0]"),
        ("POST", "/api/v1/investors/", {"name": "Ctl\x02 Capital"}, "name"),
    ],
)
def test_the_api_refuses_a_control_character_in_a_name(
    client: Client, method: str, url: str, body: dict[str, Any], field: str
) -> None:
    response = send(client, method, url, body, token_for(permitted=True))
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {field: [NAME_MESSAGE]}
    assert not Company.objects.exists()
    assert not Investor.objects.exists()


def test_the_api_refuses_a_control_character_in_a_source_title_and_in_notes(
    client: Client,
) -> None:
    funding_round = RoundFactory.create(notes="")
    token = token_for(permitted=True)
    url = f"/api/v1/rounds/{funding_round.pk}/"
    body = {"sources": [{"url": "https://example.com/a", "title": "T\x02"}]}
    response = send(client, "PATCH", url, body, token)
    assert response.json()["errors"] == {"sources[0].title": [NAME_MESSAGE]}
    response = send(client, "PATCH", url, {"notes": "one\x05"}, token)
    assert response.json()["errors"] == {
        "notes": [
            "Remove the control character U+0005 (only tabs and line breaks may break this text)."
        ]
    }
    # Notes are multi-line: tabs and line breaks stay.
    response = send(client, "PATCH", url, {"notes": "one\n\ttwo\r\nthree"}, token)
    assert response.status_code == 200, response.content
    funding_round.refresh_from_db()
    assert funding_round.notes == "one\n\ttwo\r\nthree"


def test_the_admin_refuses_a_control_character_with_the_same_message(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        "/admin/companies/company/add/", {"name": "Ctl\x02 Co", "status": "active"}
    )
    assert response.status_code == 200
    assert NAME_MESSAGE in response.content.decode()
    assert not Company.objects.exists()


def test_an_import_row_naming_a_company_with_a_control_character_is_rejected(
    tmp_path: Path,
) -> None:
    export = tmp_path / "rounds.csv"
    export.write_text(
        "company,company_name,stage,announced_on,amount,currency\n"
        "ctl-co,Ctl\x02 Co,seed,2024-05-01,1000000,USD\n"
        "good-co,Good Co,seed,2024-05-01,1000000,USD\n"
    )
    call_command("import_rounds", str(export), "--format=roundbook", stdout=StringIO())
    error = ImportRowError.objects.get()
    assert error.line == 2
    assert NAME_MESSAGE in json.dumps(error.reasons)
    assert list(Company.objects.values_list("name", flat=True)) == ["Good Co"]
    assert FundingRound.objects.count() == 1


def test_the_feed_carries_names_stored_with_control_characters(client: Client) -> None:
    """Two names holding \\x02 and \\x05 (stored before the rule) broke the feed with a 500."""
    for name in ("Ctl\x02 One", "Ctl\x05 Two"):
        company = CompanyFactory.create(name="placeholder")
        Company.objects.filter(pk=company.pk).update(name=name)
        funding_round = RoundFactory.create(company=company)
        FundingRound.objects.filter(pk=funding_round.pk).update(notes="a\x01b")
    response = client.get("/rounds/feed/")
    assert response.status_code == 200
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in feed.iter()]
    assert any(t and t.startswith("Ctl One") for t in titles), titles
    assert any(t and t.startswith("Ctl Two") for t in titles), titles
    for page in (
        "/rounds/",
        "/companies/",
        f"/companies/{Company.objects.values_list('slug', flat=True)[0]}/",
    ):
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize("query", ["company=%01", "investor=%02", "q=%1F", "company=a%0Ab"])
def test_a_control_character_in_a_feed_filter_is_a_400(client: Client, query: str) -> None:
    response = client.get(f"/rounds/feed/?{query}")
    assert response.status_code == 400

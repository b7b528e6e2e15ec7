"""Only http(s) URLs with a host are stored or linked, whatever the write path."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse

from companies.links import WEB_URL_MESSAGE, is_web_url, public_addresses
from companies.models import Company
from funding.models import FundingRound, ImportRowError, ImportSource, Source
from funding.roundbook_format import csv_rows, round_records
from funding.services import SourceSpec, round_create
from tests.api.test_writes import send, token_for
from tests.factories import CompanyFactory, RoundFactory
from tests.funding.importers.layouts import V4_ROUNDS, v4_round, write_csv

pytestmark = pytest.mark.django_db

JAVASCRIPT = "javascript:alert(1)"
DATA = "data:text/html,<script>alert(1)</script>"
REFUSED = [
    JAVASCRIPT,
    "JavaScript:alert(document.domain)",
    DATA,
    "ftp://files.example.com/rounds.csv",
    "file:///etc/passwd",
    "//example.com/no-scheme",
    "/relative/path",
    "http://",
    "https:///no-host",
    "https://example.com/" + "a" * 481,  # 501 characters
    "https://exa mple.com/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_the_rule_refuses_anything_but_an_http_url_with_a_host(url: str) -> None:
    assert not is_web_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.crunchbase.com/funding_round/moonshot-ai-series-b--1234",
        "http://example.com",
        "https://example.com/" + "a" * 480,  # 500 characters
        "https://[2001:db8::1]/x",
    ],
)
def test_the_rule_accepts_http_and_https_urls_with_a_host(url: str) -> None:
    assert is_web_url(url)


def roundbook_csv(path: Path, **changes: str) -> Path:
    """The CSV export of every round, with `changes` made to each row."""
    rows = list(csv_rows(round_records(FundingRound.objects.order_by("pk"))))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(rows[0])
        for row in rows[1:]:
            record = dict(zip(rows[0], row, strict=True))
            record.update(changes)
            writer.writerow([record[c] for c in rows[0]])
    return path


def import_file(path: Path) -> str:
    out = StringIO()
    call_command("import_rounds", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()[-1]


def test_a_roundbook_row_updating_a_round_with_a_javascript_source_is_rejected(
    tmp_path: Path,
) -> None:
    funding_round = RoundFactory.create(sources=[SourceSpec(url="https://example.com/story")])
    path = roundbook_csv(tmp_path / "rounds.csv", source_urls=f"{JAVASCRIPT} {DATA}", notes="new")
    assert import_file(path) == "created=0 updated=0 unchanged=0 failed=1"
    error = ImportRowError.objects.get()
    assert error.line == 2
    assert error.reason == f"source_urls: {WEB_URL_MESSAGE}"
    assert list(funding_round.sources.values_list("url", flat=True)) == [
        "https://example.com/story"
    ]
    funding_round.refresh_from_db()
    assert funding_round.notes != "new"


def test_a_roundbook_json_lines_source_that_is_not_http_is_rejected(tmp_path: Path) -> None:
    company = CompanyFactory.create(name="Lines AI")
    record = {
        "company": {"slug": company.slug, "name": company.name},
        "stage": "seed",
        "announced_on": "2024-03-01",
        "sources": [{"url": "ftp://files.example.com/a", "title": "A"}],
    }
    path = tmp_path / "rounds.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert import_file(path) == "created=0 updated=0 unchanged=0 failed=1"
    assert ImportRowError.objects.get().reason == f"sources: {WEB_URL_MESSAGE}"
    assert not Source.objects.exists()


def test_a_crunchbase_row_whose_cb_url_is_javascript_is_rejected(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "funding_rounds.csv",
        V4_ROUNDS,
        [v4_round("bad", "Bad Link AI", cb_url=JAVASCRIPT), v4_round("good", "Good Link AI")],
    )
    assert import_file(path) == "created=1 updated=0 unchanged=0 failed=1"
    assert ImportRowError.objects.get().reason == f"cb_url: {WEB_URL_MESSAGE}"
    assert all(is_web_url(url) for url in Source.objects.values_list("url", flat=True))


def test_the_service_refuses_a_javascript_source() -> None:
    company = CompanyFactory.create()
    with pytest.raises(ValidationError) as caught:
        round_create(
            company=company,
            stage="seed",
            announced_on=RoundFactory.build().announced_on,
            sources=[SourceSpec(url=JAVASCRIPT)],
        )
    assert WEB_URL_MESSAGE in str(caught.value)
    assert not FundingRound.objects.exists()


@pytest.mark.parametrize("url", [JAVASCRIPT, DATA, "ftp://files.example.com/a"])
def test_the_api_refuses_a_source_that_is_not_http(client: Client, url: str) -> None:
    funding_round = RoundFactory.create(sources=[SourceSpec(url="https://example.com/story")])
    response = send(
        client,
        "PATCH",
        f"/api/v1/rounds/{funding_round.pk}/",
        {"sources": [{"url": url, "title": "x"}]},
        token_for(permitted=True),
    )
    assert response.status_code == 400, response.content
    assert WEB_URL_MESSAGE in json.dumps(response.json())
    assert list(funding_round.sources.values_list("url", flat=True)) == [
        "https://example.com/story"
    ]


def test_the_api_refuses_a_company_website_that_is_not_http(client: Client) -> None:
    response = send(
        client,
        "POST",
        "/api/v1/companies/",
        {"name": "Linky AI", "website": JAVASCRIPT},
        token_for(permitted=True),
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["website"] == [WEB_URL_MESSAGE]
    assert not Company.objects.filter(name="Linky AI").exists()


@pytest.fixture
def editor(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("editor", "e@example.com", "a-long-pass-1"))
    return client


def test_an_admin_source_inline_refuses_a_javascript_url(editor: Client) -> None:
    funding_round = RoundFactory.create(amount=None, currency="")
    url = reverse("admin:funding_fundinground_change", args=[funding_round.pk])
    form = editor.get(url).context["adminform"].form
    data: dict[str, Any] = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    data.update(
        {
            "company": funding_round.company_id,
            "announced_on": funding_round.announced_on.isoformat(),
            "participations-TOTAL_FORMS": 0,
            "participations-INITIAL_FORMS": 0,
            "sources-TOTAL_FORMS": 1,
            "sources-INITIAL_FORMS": 0,
            "sources-0-url": JAVASCRIPT,
            "sources-0-title": "x",
        }
    )
    response = editor.post(url, data)
    assert response.status_code == 200
    errors = [f.errors for f in response.context["inline_admin_formsets"][1].formset.forms]
    assert errors[0]["url"] == [WEB_URL_MESSAGE]
    assert not Source.objects.exists()


def test_an_admin_company_form_refuses_an_ftp_website(editor: Client) -> None:
    response = editor.post(
        reverse("admin:companies_company_add"),
        {"name": "Ftp AI", "website": "ftp://files.example.com/", "status": "active"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["website"] == [WEB_URL_MESSAGE]
    assert not Company.objects.filter(name="Ftp AI").exists()


def stored_around_the_application() -> FundingRound:
    """A round citing a `javascript:` URL and a company with one, written by raw update."""
    funding_round = RoundFactory.create(
        sources=[SourceSpec(url="https://example.com/story", title="The story")]
    )
    Source.objects.filter(round=funding_round).update(url=JAVASCRIPT)
    Company.objects.filter(pk=funding_round.company_id).update(website=DATA)
    return funding_round


def test_a_stored_javascript_url_is_shown_as_text_never_as_a_link(client: Client) -> None:
    funding_round = stored_around_the_application()
    pages = [
        reverse("funding:detail", args=[funding_round.pk]),
        reverse("companies:detail", args=[funding_round.company.slug]),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        assert 'href="javascript:' not in html.lower(), page
        assert 'href="data:text' not in html.lower(), page
    round_page = client.get(pages[0]).content.decode()
    assert '<span class="unlinked">The story</span>' in round_page


def test_check_reports_rounds_holding_a_url_that_breaks_the_rule() -> None:
    funding_round = stored_around_the_application()
    RoundFactory.create(sources=[SourceSpec(url="https://example.com/fine")])
    with pytest.raises(SystemCheckError) as caught:
        call_command("check", databases=["default"], stdout=StringIO(), stderr=StringIO())
    report = str(caught.value)
    assert "(funding.E001) 1 stored source URL breaks the web URL rule" in report
    assert f"in rounds: {funding_round.pk}\n" in report
    assert "(funding.E002) 1 stored website breaks the web URL rule" in report
    assert f"in companies: {funding_round.company.slug}\n" in report


@pytest.mark.django_db(transaction=True)
def test_migrate_on_an_empty_database_passes_the_stored_url_check() -> None:
    """`migrate` runs the database checks before it creates the tables."""
    call_command("migrate", "funding", "zero", verbosity=0)
    try:
        call_command("migrate", verbosity=0, skip_checks=False)
    finally:
        call_command("migrate", verbosity=0)
    assert Source.objects.count() == 0


def test_check_is_quiet_when_every_stored_url_is_a_web_url() -> None:
    RoundFactory.create(sources=[SourceSpec(url="https://example.com/fine")])
    call_command("check", databases=["default"], stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/rounds.csv",
        "http://10.0.0.5/rounds.csv",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/rounds.csv",
        "ftp://files.example.com/rounds.csv",
    ],
)
def test_an_import_source_pointing_at_a_private_address_or_ftp_is_refused_on_save(
    url: str,
) -> None:
    source = ImportSource(name="feed", url=url)
    with pytest.raises(ValidationError) as caught:
        source.full_clean()
    messages = caught.value.message_dict["url"]
    assert len(messages) == 1
    assert "not a public address" in messages[0] or messages[0] == WEB_URL_MESSAGE


def test_an_import_source_at_a_public_address_is_accepted() -> None:
    ImportSource(name="feed", url="https://93.184.215.14/rounds.csv").full_clean()
    assert public_addresses("https://93.184.215.14/rounds.csv")[2][0].is_global

"""Entering and correcting rounds in the admin."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding.models import FundingRound
from funding.services import ParticipationSpec
from tests.factories import CompanyFactory, InvestorFactory, RoundFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client: Client) -> Client:
    user = User.objects.create_superuser("editor", "editor@example.com", "a-long-password-1")
    client.force_login(user)
    return client


def management(prefix: str, total: int, initial: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def round_form(company_id: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "company": company_id,
        "stage": "series_b",
        "announced_on": "2024-02-19",
        "announced_on_precision": "day",
        "status": "closed",
        "amount": "1000000000",
        "currency": "USD",
        "post_money_valuation": "2500000000",
        "pre_money_valuation": "",
        "amount_usd_published": "",
        "notes": "",
        **management("participations", 0),
        **management("sources", 0),
    }
    data.update(overrides)
    return data


def test_an_editor_enters_the_reference_round_edits_it_and_reads_its_history(
    editor: Client,
) -> None:
    moonshot = CompanyFactory.create(name="Moonshot AI", country="CN")
    alibaba, monolith, hongshan = (
        InvestorFactory.create(name=n) for n in ("Alibaba Group", "Monolith Management", "HongShan")
    )
    investors = {
        "participations-0-investor": alibaba.pk,
        "participations-0-is_lead": "on",
        "participations-1-investor": monolith.pk,
        "participations-2-investor": hongshan.pk,
    }
    source = {
        "sources-0-url": "https://example.com/moonshot-raises-1-billion",
        "sources-0-title": "Moonshot AI raises $1 billion",
        "sources-0-publisher": "Example News",
    }
    response = editor.post(
        reverse("admin:funding_fundinground_add"),
        round_form(
            moonshot.pk,
            **management("participations", 3),
            **investors,
            **management("sources", 1),
            **source,
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    funding_round = FundingRound.objects.get()
    assert funding_round.amount_usd == Decimal("1000000000")
    assert funding_round.pre_money_valuation == Decimal("1500000000")
    assert [(p.investor.name, p.is_lead) for p in funding_round.participations.all()] == [
        ("Alibaba Group", True),
        ("HongShan", False),
        ("Monolith Management", False),
    ]
    assert funding_round.sources.get().publisher == "Example News"

    existing = {
        f"participations-{i}-{key}": value
        for i, p in enumerate(funding_round.participations.order_by("pk"))
        for key, value in {
            "id": p.pk,
            "round": funding_round.pk,
            "investor": p.investor_id,
            **({"is_lead": "on"} if p.is_lead else {}),
        }.items()
    }
    s = funding_round.sources.get()
    response = editor.post(
        reverse("admin:funding_fundinground_change", args=[funding_round.pk]),
        round_form(
            moonshot.pk,
            amount="1200000000",
            **management("participations", 3, initial=3),
            **existing,
            **management("sources", 1, initial=1),
            **{"sources-0-id": s.pk, "sources-0-round": funding_round.pk, "sources-0-url": s.url},
        ),
    )
    assert response.status_code == 302
    funding_round.refresh_from_db()
    assert funding_round.amount == Decimal("1200000000")
    assert funding_round.pre_money_valuation == Decimal("1300000000")

    versions = list(funding_round.history.order_by("history_date"))
    assert [v.amount for v in versions] == [Decimal("1000000000"), Decimal("1200000000")]
    assert {v.history_user.username for v in versions} == {"editor"}
    page = editor.get(reverse("admin:funding_fundinground_history", args=[funding_round.pk]))
    assert page.status_code == 200
    assert b"1000000000" in page.content
    assert b"1200000000" in page.content


def test_a_validation_error_appears_on_its_field(editor: Client) -> None:
    company = CompanyFactory.create()
    response = editor.post(
        reverse("admin:funding_fundinground_add"),
        round_form(company.pk, amount="500", post_money_valuation="100"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "below the amount raised" in errors["post_money_valuation"][0]
    assert not FundingRound.objects.exists()


def test_an_inline_investor_that_is_the_company_is_refused_on_its_row(editor: Client) -> None:
    company = CompanyFactory.create(name="Alibaba Group")
    itself = InvestorFactory.create(name="Alibaba Investments", company=company)
    response = editor.post(
        reverse("admin:funding_fundinground_add"),
        round_form(
            company.pk,
            **management("participations", 1),
            **{"participations-0-investor": itself.pk},
        ),
    )
    assert response.status_code == 200
    inline_errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "cannot invest in itself" in inline_errors[0]["investor"][0]
    assert not FundingRound.objects.exists()


def test_the_same_investor_twice_is_refused(editor: Client) -> None:
    company, investor = CompanyFactory.create(), InvestorFactory.create()
    response = editor.post(
        reverse("admin:funding_fundinground_add"),
        round_form(
            company.pk,
            **management("participations", 2),
            **{"participations-0-investor": investor.pk, "participations-1-investor": investor.pk},
        ),
    )
    assert response.status_code == 200
    assert not FundingRound.objects.exists()


def make_rounds(count: int) -> None:
    leads = [InvestorFactory.create() for _ in range(3)]
    for i in range(count):
        RoundFactory.create(
            announced_on=date(2024, 1, 1 + i % 28),
            investors=[ParticipationSpec(investor=leads[i % 3], is_lead=True)],
        )


def changelist_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:funding_fundinground_changelist"), {"all": ""})
    assert response.status_code == 200
    return len(queries)


def test_the_rounds_changelist_runs_the_same_queries_for_10_or_100_rows(editor: Client) -> None:
    editor.get(reverse("admin:funding_fundinground_changelist"))  # warm the session
    make_rounds(10)
    ten = changelist_queries(editor)
    make_rounds(90)
    hundred = changelist_queries(editor)
    # session, user, year filter lookup, 2 counts (filtered and total), the page with
    # its companies, the lead investors of the page, the date hierarchy's min/max
    # and its day list.
    assert ten == hundred == 9


def test_the_round_list_shows_amounts_as_people_read_them(editor: Client) -> None:
    RoundFactory.create(amount=Decimal("5000000000"), currency="CNY", announced_on=date(2024, 7, 5))
    RoundFactory.create(amount=Decimal("1000000000"), currency="USD")
    page = editor.get(reverse("admin:funding_fundinground_changelist")).content.decode()
    assert "¥5.0B (CNY)" in page
    assert "$1.0B" in page


def test_the_company_page_lists_its_rounds(editor: Client) -> None:
    funding_round = RoundFactory.create(stage="seed")
    page = editor.get(
        reverse("admin:companies_company_change", args=[funding_round.company_id])
    ).content.decode()
    assert "Seed" in page
    assert reverse("admin:funding_fundinground_change", args=[funding_round.pk]) in page

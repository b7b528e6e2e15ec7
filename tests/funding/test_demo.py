"""`load_demo`: the reference round and enough real, sourced rounds; idempotent."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from companies.models import Company, Investor
from funding.models import FundingRound, Participation, Source

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {
        "companies": list(Company.objects.values_list("pk", "slug", "updated_at")),
        "investors": list(Investor.objects.values_list("pk", "slug", "updated_at")),
        "rounds": list(FundingRound.objects.values_list("pk", "amount_usd", "updated_at")),
        "participations": list(Participation.objects.values_list("pk", "round", "investor")),
        "sources": list(Source.objects.values_list("pk", "url")),
        "history": [(FundingRound.history.count(), Company.history.count())],
    }


def test_load_demo_twice_leaves_the_same_rows() -> None:
    call_command("load_demo", stdout=StringIO())
    first = snapshot()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert snapshot() == first
    assert "0 rounds, 0 companies, 0 investors added" in out.getvalue()


def test_the_reference_round_is_loaded_exactly() -> None:
    call_command("load_demo", stdout=StringIO())
    moonshot = Company.objects.get(slug="moonshot-ai")
    assert (moonshot.country, moonshot.city) == ("CN", "Beijing")
    reference = FundingRound.objects.get(
        company=moonshot, announced_on__year=2024, announced_on__month=2
    )
    assert (reference.amount, reference.currency) == (Decimal("1000000000"), "USD")
    assert reference.amount_usd == Decimal("1000000000")
    assert reference.post_money_valuation_usd == Decimal("2500000000")
    assert reference.pre_money_valuation_usd == Decimal("1500000000")
    investors = {p.investor.name: p.is_lead for p in reference.participations.all()}
    assert investors == {
        "Alibaba Group": True,
        "Monolith Management": False,
        "Long-Z": False,
        "HongShan": False,
    }
    assert reference.sources.exists()


def test_the_demo_data_makes_every_page_meaningful() -> None:
    call_command("load_demo", stdout=StringIO())
    rounds = FundingRound.objects.all()
    assert rounds.count() >= 40
    assert Company.objects.count() >= 25
    assert Investor.objects.count() >= 30
    assert {"USD", "EUR", "CNY"} <= set(rounds.values_list("currency", flat=True))
    assert rounds.filter(stage="seed").count() >= 2
    assert {"CN", "US"} <= set(Company.objects.values_list("country", flat=True))
    assert Company.objects.filter(country__in=["FR", "DE", "GB"]).exists()
    assert not rounds.filter(sources__isnull=True).exists(), "every demo round cites a source"
    busiest = Investor.objects.filter(participations__isnull=False).distinct()
    assert any(i.participations.count() >= 3 for i in busiest)
    # Non-USD rounds got their USD figure from a stored rate or the published one.
    converted = rounds.exclude(currency="USD").exclude(amount=None)
    assert converted.exists()
    assert not converted.filter(amount_usd=None).exists()

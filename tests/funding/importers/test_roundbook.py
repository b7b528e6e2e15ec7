"""Roundbook's own format: an export of the whole database imports back unchanged."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from funding.models import FundingRound
from funding.roundbook_format import csv_rows, round_records
from funding.services import ParticipationSpec, SourceSpec
from tests.factories import CompanyFactory, InvestorFactory, RoundFactory


def run_import(path: Path) -> str:
    out = StringIO()
    call_command("import_rounds", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()[-1]


def snapshot() -> list[dict[str, object]]:
    return list(round_records(FundingRound.objects.order_by("pk")))


@pytest.fixture
def database() -> None:
    lead, other = InvestorFactory.create(name="Alibaba Group"), InvestorFactory.create()
    company = CompanyFactory.create(name="=Formula Labs")
    RoundFactory.create(
        company=company,
        amount=Decimal("1000000000"),
        post_money_valuation=Decimal("2500000000"),
        investors=[
            ParticipationSpec(investor=lead, is_lead=True),
            ParticipationSpec(investor=other),
        ],
        sources=[SourceSpec(url="https://example.com/a", title="A story", publisher="Pub")],
        notes='-minus; and, commas "quoted"\nnew line',
    )
    RoundFactory.create(
        stage="seed",
        amount=Decimal("105000000"),
        currency="EUR",
        amount_usd_published=Decimal("113000000.50"),
        announced_on=date(2023, 6, 13),
        announced_on_precision="month",
        status="needs_review",
    )
    RoundFactory.create(stage="series_b", amount=None, currency="")
    RoundFactory.create(
        stage="series_c", amount=Decimal("700000000"), currency="CNY", announced_on=date(2024, 3, 1)
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("database")
def test_a_jsonl_export_of_the_whole_database_imports_unchanged(tmp_path: Path) -> None:
    before = snapshot()
    path = tmp_path / "rounds.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in before), encoding="utf-8")
    assert run_import(path) == "created=0 updated=0 unchanged=4 failed=0"
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("database")
def test_a_csv_export_of_the_whole_database_imports_unchanged(tmp_path: Path) -> None:
    before = snapshot()
    path = tmp_path / "rounds.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(csv_rows(before))
    assert run_import(path) == "created=0 updated=0 unchanged=4 failed=0"
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("database")
def test_a_jsonl_export_recreates_its_rounds_in_an_empty_database(tmp_path: Path) -> None:
    before = snapshot()
    path = tmp_path / "rounds.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in before), encoding="utf-8")
    FundingRound.objects.all().delete()
    assert run_import(path) == "created=4 updated=0 unchanged=0 failed=0"
    keep = ("id", "created_at", "updated_at")
    after = snapshot()
    assert [{k: v for k, v in r.items() if k not in keep} for r in after] == [
        {k: v for k, v in r.items() if k not in keep} for r in before
    ]
    assert run_import(path) == "created=0 updated=0 unchanged=4 failed=0"

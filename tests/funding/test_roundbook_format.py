"""The roundbook record and CSV row written by every export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funding.models import FundingRound
from funding.record import CSV_COLUMNS
from funding.roundbook_format import csv_escape, csv_row, csv_unescape, round_records
from funding.services import ParticipationSpec, SourceSpec
from tests.factories import CompanyFactory, InvestorFactory, RoundFactory

pytestmark = pytest.mark.django_db


def test_a_record_carries_the_round_its_investors_and_sources() -> None:
    alibaba, hongshan = (
        InvestorFactory.create(name="Alibaba Group"),
        InvestorFactory.create(name="HongShan"),
    )
    RoundFactory.create(
        company=CompanyFactory.create(name="Moonshot AI"),
        stage="series_b",
        announced_on=date(2024, 2, 1),
        announced_on_precision="month",
        amount=Decimal("1000000000"),
        post_money_valuation=Decimal("2500000000"),
        investors=[
            ParticipationSpec(investor=hongshan),
            ParticipationSpec(investor=alibaba, is_lead=True),
        ],
        sources=[SourceSpec(url="https://example.com/a", title="=cmd")],
    )
    (record,) = round_records(FundingRound.objects.all())
    assert record["company"] == {"slug": "moonshot-ai", "name": "Moonshot AI"}
    assert record["amount_usd"] == "1000000000"
    assert record["pre_money_valuation_usd"] == "1500000000"
    assert record["announced_on"] == "2024-02-01"
    assert [i["name"] for i in record["investors"]] == ["Alibaba Group", "HongShan"]
    assert record["sources"][0] == {
        "url": "https://example.com/a",
        "title": "=cmd",
        "publisher": "",
        "published_on": None,
    }
    row = dict(zip(CSV_COLUMNS, csv_row(record), strict=True))
    assert row["lead_investors"] == "Alibaba Group"
    assert row["other_investors"] == "HongShan"
    assert row["amount"] == "1000000000"


def test_records_take_one_query_whatever_the_number_of_rounds() -> None:
    investor = InvestorFactory.create()
    for _ in range(30):
        RoundFactory.create(
            investors=[ParticipationSpec(investor=investor)],
            sources=[SourceSpec(url="https://example.com/a")],
        )
    with CaptureQueriesContext(connection) as queries:
        records = list(round_records(FundingRound.objects.all()))
    assert len(records) == 30
    assert all(len(r["investors"]) == len(r["sources"]) == 1 for r in records)
    assert len(queries) == 1


def test_a_record_lists_leads_first_then_by_name_and_undated_sources_last() -> None:
    names = ["Zeta Capital", "Alpha Ventures", "Mu Partners", "Beta Fund"]
    a, b, c, d = (InvestorFactory.create(name=name) for name in names)
    RoundFactory.create(
        investors=[
            ParticipationSpec(investor=a),
            ParticipationSpec(investor=b),
            ParticipationSpec(investor=c, is_lead=True),
            ParticipationSpec(investor=d, is_lead=True),
        ],
        sources=[
            SourceSpec(url="https://example.com/undated-1"),
            SourceSpec(url="https://example.com/late", published_on=date(2024, 3, 1)),
            SourceSpec(url="https://example.com/undated-2"),
            SourceSpec(url="https://example.com/early", published_on=date(2024, 2, 1)),
        ],
    )
    (record,) = round_records(FundingRound.objects.all())
    assert [(i["name"], i["is_lead"]) for i in record["investors"]] == [
        ("Beta Fund", True),
        ("Mu Partners", True),
        ("Alpha Ventures", False),
        ("Zeta Capital", False),
    ]
    assert [(s["url"].rsplit("/", 1)[1], s["published_on"]) for s in record["sources"]] == [
        ("early", "2024-02-01"),
        ("late", "2024-03-01"),
        ("undated-1", None),
        ("undated-2", None),
    ]


def test_money_is_written_without_trailing_zero_cents_but_with_real_cents() -> None:
    RoundFactory.create(amount=Decimal("1234.50"), post_money_valuation=Decimal("5000000"))
    (record,) = round_records(FundingRound.objects.all())
    assert record["amount"] == "1234.50"
    assert record["post_money_valuation"] == "5000000"


@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx"])
def test_formula_cells_are_escaped_and_unescaped(cell: str) -> None:
    assert csv_escape(cell) == "'" + cell
    assert csv_unescape(csv_escape(cell)) == cell


def test_plain_text_is_untouched() -> None:
    assert csv_escape("Moonshot AI") == "Moonshot AI"
    assert csv_unescape("'quoted") == "'quoted"

"""The shared round filters: each one narrows correctly, bad values are errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.http import QueryDict

from companies.filters import CompanyFilter, InvestorFilter
from companies.services import company_update
from funding.filters import RoundFilter
from funding.models import FundingRound
from funding.services import ParticipationSpec
from tests.factories import CompanyFactory, InvestorFactory, RoundFactory

pytestmark = pytest.mark.django_db


def rounds(query: str) -> list[FundingRound]:
    filterset = RoundFilter(QueryDict(query), queryset=FundingRound.objects.all())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs)


@pytest.fixture
def world() -> dict[str, FundingRound]:
    alibaba, tencent = (
        InvestorFactory.create(name="Alibaba Group"),
        InvestorFactory.create(name="Tencent"),
    )
    moonshot = CompanyFactory.create(name="Moonshot AI", country="CN", aliases=["月之暗面"])
    company_update(company=moonshot, sectors=["Foundation models"])
    mistral = CompanyFactory.create(name="Mistral AI", country="FR")
    return {
        "moonshot_b": RoundFactory.create(
            company=moonshot,
            stage="series_b",
            announced_on=date(2024, 2, 1),
            amount=Decimal("1000000000"),
            investors=[
                ParticipationSpec(investor=alibaba, is_lead=True),
                ParticipationSpec(investor=tencent),
            ],
        ),
        "moonshot_seed": RoundFactory.create(
            company=moonshot, stage="seed", announced_on=date(2023, 6, 1), amount=None, currency=""
        ),
        "mistral_a": RoundFactory.create(
            company=mistral,
            stage="series_a",
            announced_on=date(2023, 12, 10),
            amount=Decimal("385000000"),
            currency="EUR",
            investors=[ParticipationSpec(investor=tencent, is_lead=True)],
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("company=moonshot-ai", {"moonshot_b", "moonshot_seed"}),
        ("investor=tencent", {"moonshot_b", "mistral_a"}),
        ("lead_investor=tencent", {"mistral_a"}),
        ("lead_investor=alibaba-group", {"moonshot_b"}),
        ("stage=seed&stage=series_a", {"moonshot_seed", "mistral_a"}),
        ("announced_after=2023-12-10", {"moonshot_b", "mistral_a"}),
        ("announced_before=2023-12-10", {"moonshot_seed", "mistral_a"}),
        ("min_amount_usd=500000000", {"moonshot_b"}),
        ("max_amount_usd=500000000", {"mistral_a"}),
        ("country=cn", {"moonshot_b", "moonshot_seed"}),
        ("sector=foundation-models", {"moonshot_b", "moonshot_seed"}),
        ("q=月之暗面", {"moonshot_b", "moonshot_seed"}),
        ("q=MISTRAL", {"mistral_a"}),
    ],
)
def test_each_filter_keeps_exactly_the_matching_rounds(
    world: dict[str, FundingRound], query: str, expected: set[str]
) -> None:
    names = {name for name, r in world.items() if r in rounds(query)}
    assert names == expected
    assert len(rounds(query)) == len(expected), "no round twice"


def test_ordering_by_amount_puts_undisclosed_last(world: dict[str, FundingRound]) -> None:
    assert rounds("ordering=-amount_usd")[-1] == world["moonshot_seed"]
    assert rounds("ordering=amount_usd")[-1] == world["moonshot_seed"]
    assert rounds("ordering=-amount_usd")[0] == world["moonshot_b"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("announced_after=yesterday", "announced_after"),
        ("min_amount_usd=lots", "min_amount_usd"),
        ("min_amount_usd=-5", "min_amount_usd"),
        ("stage=series_z", "stage"),
        ("ordering=name", "ordering"),
        ("country=XX", "country"),
        ("updated_since=2024-13-01", "updated_since"),
    ],
)
def test_a_bad_value_is_an_error_naming_its_parameter(query: str, parameter: str) -> None:
    filterset = RoundFilter(QueryDict(query), queryset=FundingRound.objects.all())
    assert not filterset.is_valid()
    assert parameter in filterset.errors


def test_company_and_investor_filters(world: dict[str, FundingRound]) -> None:
    from companies.models import Company, Investor

    companies = CompanyFilter(QueryDict("country=FR&status=active"), queryset=Company.objects.all())
    assert [c.name for c in companies.qs] == ["Mistral AI"]
    investors = InvestorFilter(
        QueryDict("q=ali&kind=venture_capital"), queryset=Investor.objects.all()
    )
    assert [i.name for i in investors.qs] == ["Alibaba Group"]
    assert not InvestorFilter(QueryDict("kind=pirate"), queryset=Investor.objects.all()).is_valid()

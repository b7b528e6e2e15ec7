"""The write path for rounds, participations, sources and investor merges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from companies.models import Investor
from funding.models import FundingRound, Participation, Source
from funding.services import (
    ParticipationSpec,
    SourceSpec,
    investor_merge,
    round_create,
    round_update,
)
from tests.factories import CompanyFactory, InvestorFactory, RoundFactory

pytestmark = pytest.mark.django_db


def test_a_round_is_created_with_its_investors_and_sources() -> None:
    lead, other = InvestorFactory.create(), InvestorFactory.create()
    funding_round = RoundFactory.create(
        investors=[
            ParticipationSpec(investor=lead, is_lead=True),
            ParticipationSpec(investor=other),
        ],
        sources=[SourceSpec(url="https://example.com/a", title="A")],
    )
    assert {(p.investor, p.is_lead) for p in funding_round.participations.all()} == {
        (lead, True),
        (other, False),
    }
    assert funding_round.sources.get().title == "A"


def test_a_bad_participation_rolls_back_the_whole_round() -> None:
    company = CompanyFactory.create()
    itself = InvestorFactory.create(company=company)
    with pytest.raises(ValidationError):
        round_create(
            company=company,
            stage="seed",
            announced_on=FundingRound._meta.get_field("announced_on").to_python("2024-01-01"),
            investors=[ParticipationSpec(investor=itself)],
        )
    assert not FundingRound.objects.exists()


def test_an_investor_listed_twice_is_refused() -> None:
    investor = InvestorFactory.create()
    with pytest.raises(ValidationError, match="listed twice"):
        RoundFactory.create(investors=[ParticipationSpec(investor=investor)] * 2)


def test_update_replaces_investors_and_keeps_unchanged_rows() -> None:
    keep, drop, new = InvestorFactory.create(), InvestorFactory.create(), InvestorFactory.create()
    funding_round = RoundFactory.create(
        investors=[ParticipationSpec(investor=keep, is_lead=True), ParticipationSpec(investor=drop)]
    )
    kept_id = funding_round.participations.get(investor=keep).pk
    round_update(
        funding_round=funding_round,
        investors=[ParticipationSpec(investor=keep, is_lead=True), ParticipationSpec(investor=new)],
        sources=[SourceSpec(url="https://example.com/b")],
    )
    assert set(funding_round.participations.values_list("investor", flat=True)) == {keep.pk, new.pk}
    assert funding_round.participations.get(investor=keep).pk == kept_id
    assert Source.objects.count() == 1


def test_update_without_investors_leaves_them_alone() -> None:
    investor = InvestorFactory.create()
    funding_round = RoundFactory.create(investors=[ParticipationSpec(investor=investor)])
    round_update(funding_round=funding_round, amount=Decimal(5))
    assert funding_round.participations.count() == 1


def test_merging_investors_moves_rounds_and_keeps_one_row_per_round() -> None:
    target = InvestorFactory.create(name="HongShan")
    source = InvestorFactory.create(name="Sequoia China", aliases=["红杉中国"])
    shared = RoundFactory.create(
        investors=[
            ParticipationSpec(investor=target),
            ParticipationSpec(investor=source, is_lead=True),
        ]
    )
    only_source = RoundFactory.create(investors=[ParticipationSpec(investor=source)])

    merged = investor_merge(source=source, target=target)

    assert not Investor.objects.filter(pk=source.pk).exists()
    assert shared.participations.get().investor == merged
    assert shared.participations.get().is_lead is True
    assert only_source.participations.get().investor == merged
    assert set(merged.aliases) == {"Sequoia China", "红杉中国"}
    assert Participation.objects.count() == 2


def test_an_investor_cannot_be_merged_into_itself() -> None:
    investor = InvestorFactory.create()
    with pytest.raises(ValidationError):
        investor_merge(source=investor, target=investor)

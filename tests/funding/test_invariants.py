"""Each invariant of the domain model, rejected by the database and by clean()."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction

from companies.services import investor_update
from funding.models import FundingRound, Participation
from tests.factories import CompanyFactory, InvestorFactory, RoundFactory

pytestmark = pytest.mark.django_db


def unsaved_round(**overrides: Any) -> FundingRound:
    fields: dict[str, Any] = {
        "company": CompanyFactory.create(),
        "stage": "series_a",
        "announced_on": date(2024, 2, 19),
        "amount": Decimal(1_000_000),
        "currency": "USD",
    }
    fields.update(overrides)
    return FundingRound(**fields)


def assert_database_rejects(save: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        save()


BAD_ROUNDS = {
    "negative_amount": ({"amount": Decimal(-1)}, "amount"),
    "negative_post_money": ({"post_money_valuation": Decimal(-5)}, "post_money_valuation"),
    "post_money_below_amount": (
        {"amount": Decimal(100), "post_money_valuation": Decimal(50)},
        "post_money_valuation",
    ),
    "pre_money_not_post_minus_amount": (
        {
            "amount": Decimal(100),
            "post_money_valuation": Decimal(500),
            "pre_money_valuation": Decimal(300),
        },
        "pre_money_valuation",
    ),
    "unknown_stage": ({"stage": "series_z"}, "stage"),
    "unknown_currency": ({"currency": "XYZ"}, "currency"),
    "amount_without_currency": ({"currency": ""}, "currency"),
    "unknown_status": ({"status": "maybe"}, "status"),
    "unknown_precision": ({"announced_on_precision": "week"}, "announced_on_precision"),
}


@pytest.mark.parametrize("overrides", [v[0] for v in BAD_ROUNDS.values()], ids=list(BAD_ROUNDS))
def test_the_database_rejects_an_invalid_round(overrides: dict[str, Any]) -> None:
    assert_database_rejects(unsaved_round(**overrides).save)


@pytest.mark.parametrize(("overrides", "field"), list(BAD_ROUNDS.values()), ids=list(BAD_ROUNDS))
def test_clean_names_the_field_of_an_invalid_round(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        unsaved_round(**overrides).full_clean()
    assert field in error.value.message_dict
    assert all(len(message) > 10 for message in error.value.message_dict[field])


def test_it_accepts_an_undisclosed_amount() -> None:
    funding_round = unsaved_round(amount=None, currency="")
    funding_round.full_clean()
    funding_round.save()
    assert FundingRound.objects.get().amount is None


def test_post_money_below_amount_message_says_why() -> None:
    with pytest.raises(ValidationError) as error:
        unsaved_round(amount=Decimal(100), post_money_valuation=Decimal(50)).full_clean()
    assert error.value.message_dict["post_money_valuation"] == [
        "The post-money valuation (50) cannot be below the amount raised (100)."
    ]


def test_the_database_rejects_a_duplicate_participation() -> None:
    funding_round, investor = RoundFactory.create(), InvestorFactory.create()
    Participation.objects.create(round=funding_round, investor=investor)
    assert_database_rejects(
        lambda: Participation.objects.create(round=funding_round, investor=investor)
    )


def test_clean_rejects_a_duplicate_participation() -> None:
    funding_round, investor = RoundFactory.create(), InvestorFactory.create()
    Participation.objects.create(round=funding_round, investor=investor)
    with pytest.raises(ValidationError, match="already in the round"):
        Participation(round=funding_round, investor=investor).full_clean()


def test_the_database_rejects_a_negative_participation_amount() -> None:
    participation = Participation(
        round=RoundFactory.create(), investor=InvestorFactory.create(), amount=Decimal(-1)
    )
    assert_database_rejects(participation.save)
    with pytest.raises(ValidationError) as error:
        participation.full_clean()
    assert "amount" in error.value.message_dict


class TestACompanyCannotInvestInItself:
    def setup_method(self) -> None:
        self.company = CompanyFactory.create(name="Alibaba Group")
        self.investor = InvestorFactory.create(name="Alibaba Investments", company=self.company)

    def test_clean_says_so_on_the_investor_field(self) -> None:
        funding_round = RoundFactory.create(company=self.company)
        with pytest.raises(ValidationError) as error:
            Participation(round=funding_round, investor=self.investor).full_clean()
        assert "cannot invest in itself" in error.value.message_dict["investor"][0]

    def test_the_database_rejects_the_participation(self) -> None:
        funding_round = RoundFactory.create(company=self.company)
        assert_database_rejects(
            lambda: Participation.objects.create(round=funding_round, investor=self.investor)
        )

    def test_the_database_rejects_moving_a_round_to_its_investor(self) -> None:
        funding_round = RoundFactory.create()
        Participation.objects.create(round=funding_round, investor=self.investor)
        funding_round.company = self.company
        assert_database_rejects(funding_round.save)

    def test_the_database_rejects_linking_an_investor_to_a_company_it_funded(self) -> None:
        other = InvestorFactory.create()
        funding_round = RoundFactory.create(company=self.company)
        Participation.objects.create(round=funding_round, investor=other)
        other.company = self.company
        with pytest.raises(IntegrityError), transaction.atomic():
            other.save(update_fields=["company"])

    def test_the_service_reports_it_as_a_validation_error(self) -> None:
        other = InvestorFactory.create()
        Participation.objects.create(
            round=RoundFactory.create(company=self.company), investor=other
        )
        self.investor.delete()
        with pytest.raises(ValidationError) as error:
            investor_update(investor=other, company=self.company)
        assert "cannot invest in itself" in error.value.message_dict["company"][0]

    def test_clean_rejects_moving_a_round_to_its_investor(self) -> None:
        funding_round = RoundFactory.create()
        Participation.objects.create(round=funding_round, investor=self.investor)
        funding_round.company = self.company
        with pytest.raises(ValidationError) as error:
            funding_round.full_clean()
        assert "cannot invest in itself" in error.value.message_dict["company"][0]


@pytest.mark.django_db(transaction=True)
def test_a_field_added_to_the_rounds_table_keeps_the_self_investment_triggers() -> None:
    """Adding a field is what the round record asks for (funding/record.py). On SQLite,
    Django rebuilds the table to add it, and a rebuild used to fail on the participation
    trigger that names the table ("no such table: main.funding_fundinground"), or drop
    the table's own triggers."""
    field = models.BooleanField(default=False, db_default=False)  # rows made without it
    field.set_attributes_from_name("is_extension")
    field.model = FundingRound  # what the schema editor reads; the model class is unchanged
    with connection.schema_editor() as editor:
        editor.add_field(FundingRound, field)
    try:
        company = CompanyFactory.create(name="Alibaba Group")
        investor = InvestorFactory.create(name="Alibaba Investments", company=company)
        own = RoundFactory.create(company=company)
        assert_database_rejects(lambda: Participation.objects.create(round=own, investor=investor))
        other = RoundFactory.create()
        Participation.objects.create(round=other, investor=investor)
        other.company = company
        assert_database_rejects(other.save)
    finally:
        with connection.schema_editor() as editor:
            editor.remove_field(FundingRound, field)

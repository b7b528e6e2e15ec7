"""USD figures: computed by one service from a stored rate, reproducible."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from funding.models import ExchangeRate, FundingRound
from funding.services import exchange_rate_on, round_update
from tests.factories import RoundFactory

pytestmark = pytest.mark.django_db


def test_a_cny_round_gets_amount_usd_from_the_stored_rate_of_its_date() -> None:
    rate = ExchangeRate.objects.create(currency="CNY", date=date(2024, 7, 5), rate=Decimal("0.14"))
    funding_round = RoundFactory.create(
        announced_on=date(2024, 7, 5), amount=Decimal("5000000000"), currency="CNY"
    )
    assert funding_round.amount_usd == Decimal("700000000.00")
    assert funding_round.exchange_rate == rate
    assert funding_round.usd_basis == FundingRound.UsdBasis.EXCHANGE_RATE


def test_the_same_conversion_later_gives_the_same_figure() -> None:
    funding_round = RoundFactory.create(
        announced_on=date(2024, 7, 5), amount=Decimal("5000000000"), currency="CNY"
    )
    first = (funding_round.amount_usd, funding_round.exchange_rate_id)
    again = round_update(funding_round=FundingRound.objects.get(), notes="re-saved the next day")
    assert (again.amount_usd, again.exchange_rate_id) == first
    assert ExchangeRate.objects.filter(currency="CNY").count() == 1


def test_a_fresh_database_converts_with_the_packaged_ecb_rate_and_stores_it() -> None:
    assert not ExchangeRate.objects.exists()
    funding_round = RoundFactory.create(
        announced_on=date(2023, 6, 13), amount=Decimal("105000000"), currency="EUR"
    )
    stored = ExchangeRate.objects.get()
    # ECB reference rate of 13 June 2023: 1 EUR = 1.0793 USD.
    assert (stored.currency, stored.date, stored.rate) == (
        "EUR",
        date(2023, 6, 13),
        Decimal("1.0793"),
    )
    assert stored.origin == ExchangeRate.Origin.ECB
    assert funding_round.amount_usd == Decimal("113326500.00")


def test_a_weekend_round_uses_the_nearest_earlier_rate() -> None:
    rate = exchange_rate_on(currency="CNY", on=date(2024, 2, 18))  # a Sunday
    assert rate is not None
    assert rate.date == date(2024, 2, 16)


def test_a_stored_rate_nearer_than_the_ecb_one_wins() -> None:
    manual = ExchangeRate.objects.create(
        currency="CNY", date=date(2024, 2, 18), rate=Decimal("0.15")
    )
    assert exchange_rate_on(currency="CNY", on=date(2024, 2, 18)) == manual


def test_no_rate_within_the_maximum_age_leaves_usd_empty() -> None:
    funding_round = RoundFactory.create(
        announced_on=date(2024, 1, 1), amount=Decimal(100), currency="AED"
    )
    assert funding_round.amount_usd is None
    assert funding_round.usd_basis == FundingRound.UsdBasis.NONE


def test_a_usd_round_keeps_its_figures() -> None:
    funding_round = RoundFactory.create(
        amount=Decimal("1000000000"), currency="USD", post_money_valuation=Decimal("2500000000")
    )
    assert funding_round.amount_usd == Decimal("1000000000")
    assert funding_round.pre_money_valuation == Decimal("1500000000")
    assert funding_round.pre_money_valuation_usd == Decimal("1500000000")
    assert funding_round.post_money_valuation_usd == Decimal("2500000000")
    assert funding_round.exchange_rate is None


def test_a_published_usd_figure_is_kept_and_scales_the_valuations() -> None:
    funding_round = RoundFactory.create(
        announced_on=date(2024, 6, 11),
        amount=Decimal("600000000"),
        currency="EUR",
        amount_usd_published=Decimal("640000000"),
        post_money_valuation=Decimal("5800000000"),
    )
    assert funding_round.amount_usd == Decimal("640000000")
    assert funding_round.usd_basis == FundingRound.UsdBasis.PUBLISHED
    assert funding_round.amount == Decimal("600000000")
    assert funding_round.post_money_valuation_usd == Decimal("6186666666.67")


def test_an_undisclosed_amount_stays_null_not_zero() -> None:
    funding_round = RoundFactory.create(amount=None, currency="")
    assert funding_round.amount is None
    assert funding_round.amount_usd is None


def test_changing_the_amount_derives_pre_money_again() -> None:
    funding_round = RoundFactory.create(amount=Decimal(100), post_money_valuation=Decimal(500))
    assert funding_round.pre_money_valuation == Decimal(400)
    round_update(funding_round=funding_round, amount=Decimal(200))
    assert funding_round.pre_money_valuation == Decimal(300)
    assert funding_round.pre_money_valuation_usd == Decimal(300)

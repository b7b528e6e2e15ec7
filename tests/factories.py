"""Factories that create through the services, as the application does."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from companies.models import Company, Investor
from companies.services import company_create, investor_create
from funding.models import FundingRound
from funding.services import round_create


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    country = "US"

    @classmethod
    def _create(cls, model_class: type[Company], *args: Any, **kwargs: Any) -> Company:
        return company_create(**kwargs)


class InvestorFactory(factory.django.DjangoModelFactory[Investor]):
    class Meta:
        model = Investor

    name = factory.Sequence(lambda n: f"Investor {n}")
    kind = "venture_capital"

    @classmethod
    def _create(cls, model_class: type[Investor], *args: Any, **kwargs: Any) -> Investor:
        return investor_create(**kwargs)


class RoundFactory(factory.django.DjangoModelFactory[FundingRound]):
    class Meta:
        model = FundingRound

    company = factory.SubFactory(CompanyFactory)
    stage = "series_a"
    announced_on = factory.Sequence(lambda n: date(2024, 1, 1).replace(day=1 + n % 28))
    amount = Decimal("10000000")
    currency = "USD"

    @classmethod
    def _create(cls, model_class: type[FundingRound], *args: Any, **kwargs: Any) -> FundingRound:
        return round_create(**kwargs)


def rounds_with_investors(count: int, *, start: int = 0) -> list[FundingRound]:
    """`count` priced rounds over 5 companies, each with a lead, another investor and a source.

    Page tests use it to show that a page's query count does not grow with its rows.
    """
    from funding.models import Stage
    from funding.services import ParticipationSpec, SourceSpec

    companies = [
        Company.objects.filter(name=f"Batch company {i}").first()
        or CompanyFactory.create(name=f"Batch company {i}", country="CN" if i % 2 else "US")
        for i in range(5)
    ]
    investors = [
        Investor.objects.filter(name=f"Batch investor {i}").first()
        or InvestorFactory.create(name=f"Batch investor {i}")
        for i in range(3)
    ]
    today = timezone.localdate()
    stages = [Stage.SEED, Stage.SERIES_A, Stage.SERIES_B, Stage.SERIES_C]
    return [
        RoundFactory.create(
            company=companies[i % len(companies)],
            stage=stages[i % len(stages)],
            # Spread over the last three years, so every dashboard block has rows.
            announced_on=today - timedelta(days=(i * 37) % 1000),
            amount=Decimal(1_000_000 * (i + 1)),
            post_money_valuation=Decimal(10_000_000 * (i + 1)),
            investors=[
                ParticipationSpec(investor=investors[0], is_lead=True),
                ParticipationSpec(investor=investors[1 + i % 2]),
            ],
            sources=[SourceSpec(url=f"https://news.example.com/{i}", title=f"Story {i}")],
        )
        for i in range(start, start + count)
    ]

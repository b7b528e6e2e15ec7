"""Factories that create through the services, as the application does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import factory

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

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from companies.models import Company, Investor
from funding.demo import demo_load
from funding.models import FundingRound


class Command(BaseCommand):
    help = "Load the demo companies, investors and sourced rounds (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_load()
        self.stdout.write(
            f"Demo data: {result.rounds_created} rounds, {result.companies_created} companies, "
            f"{result.investors_created} investors added "
            f"({result.rounds_existing} rounds were already there). "
            f"Totals: {FundingRound.objects.count()} rounds, {Company.objects.count()} companies, "
            f"{Investor.objects.count()} investors."
        )

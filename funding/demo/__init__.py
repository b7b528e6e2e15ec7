"""Demo data: real, sourced AI funding rounds (demo_data.json), loaded idempotently."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from companies.models import Company, Investor
from companies.services import company_get_or_create, investor_get_or_create
from funding.models import FundingRound
from funding.services import ParticipationSpec, SourceSpec, round_create

DEMO_FILE = Path(__file__).with_name("demo_data.json")


@dataclass
class DemoLoadResult:
    companies_created: int = 0
    investors_created: int = 0
    rounds_created: int = 0
    rounds_existing: int = 0
    created_round_ids: list[int] = field(default_factory=list)


def _decimal(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@transaction.atomic
def demo_load(*, path: Path = DEMO_FILE) -> DemoLoadResult:
    """Load the demo companies, investors and rounds; what already exists is left alone.

    A round exists when its company has a round of the same stage announced
    the same day, so a second run creates nothing.
    """
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    result = DemoLoadResult()

    companies: dict[str, Company] = {}
    for row in data["companies"]:
        company, created = company_get_or_create(
            name=row["name"],
            aliases=row.get("aliases", []),
            description=row.get("description", ""),
            website=row.get("website", ""),
            founded_on=_date(row.get("founded_on")),
            country=row.get("country", ""),
            city=row.get("city", ""),
            status=row.get("status", "active"),
            sectors=row.get("sectors", []),
        )
        companies[row["name"]] = company
        result.companies_created += created

    investors: dict[str, Investor] = {}
    for row in data["investors"]:
        linked = row.get("company")
        investor, created = investor_get_or_create(
            name=row["name"],
            aliases=row.get("aliases", []),
            kind=row.get("kind", "venture_capital"),
            country=row.get("country", ""),
            website=row.get("website", ""),
            company=companies[linked] if linked else None,
        )
        investors[row["name"]] = investor
        result.investors_created += created

    for row in data["rounds"]:
        company = companies[row["company"]]
        announced_on = date.fromisoformat(row["announced_on"])
        if FundingRound.objects.filter(
            company=company, stage=row["stage"], announced_on=announced_on
        ).exists():
            result.rounds_existing += 1
            continue
        funding_round = round_create(
            company=company,
            stage=row["stage"],
            announced_on=announced_on,
            announced_on_precision=row.get("announced_on_precision", "day"),
            amount=_decimal(row.get("amount")),
            currency=row.get("currency") or "",
            amount_usd_published=_decimal(row.get("amount_usd")),
            pre_money_valuation=_decimal(row.get("pre_money_valuation")),
            post_money_valuation=_decimal(row.get("post_money_valuation")),
            status=row.get("status", "announced"),
            notes=row.get("notes", ""),
            investors=[
                ParticipationSpec(investor=investors[i["name"]], is_lead=bool(i.get("is_lead")))
                for i in row.get("investors", [])
            ],
            sources=[
                SourceSpec(
                    url=s["url"],
                    title=s.get("title", ""),
                    publisher=s.get("publisher", ""),
                    published_on=_date(s.get("published_on")),
                )
                for s in row.get("sources", [])
            ],
        )
        result.rounds_created += 1
        result.created_round_ids.append(funding_round.pk)
    return result

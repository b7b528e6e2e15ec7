"""Small files in each import layout, written by the tests themselves."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

V4_ROUNDS = [
    "uuid",
    "name",
    "type",
    "permalink",
    "cb_url",
    "rank",
    "created_at",
    "updated_at",
    "country_code",
    "state_code",
    "region",
    "city",
    "investment_type",
    "announced_on",
    "raised_amount_usd",
    "raised_amount",
    "raised_amount_currency_code",
    "post_money_valuation_usd",
    "post_money_valuation",
    "post_money_valuation_currency_code",
    "investor_count",
    "org_uuid",
    "org_name",
    "lead_investor_uuids",
]
V4_INVESTMENTS = [
    "uuid",
    "name",
    "type",
    "permalink",
    "cb_url",
    "rank",
    "created_at",
    "updated_at",
    "funding_round_uuid",
    "funding_round_name",
    "investor_uuid",
    "investor_name",
    "investor_type",
    "is_lead_investor",
]
V4_ORGANIZATIONS = [
    "uuid",
    "name",
    "type",
    "permalink",
    "cb_url",
    "rank",
    "created_at",
    "updated_at",
    "legal_name",
    "roles",
    "domain",
    "homepage_url",
    "country_code",
    "state_code",
    "region",
    "city",
    "address",
    "postal_code",
    "status",
    "short_description",
    "category_list",
]
V4_INVESTORS = [
    "uuid",
    "name",
    "type",
    "permalink",
    "cb_url",
    "rank",
    "created_at",
    "updated_at",
    "roles",
    "country_code",
]
V2_ROUNDS = [
    "company_name",
    "country_code",
    "state_code",
    "region",
    "city",
    "company_category_list",
    "funding_round_type",
    "funding_round_code",
    "announced_on",
    "raised_amount_usd",
    "raised_amount",
    "raised_amount_currency_code",
    "post_money_valuation_usd",
    "post_money_valuation",
    "pre_money_currency_code",
    "investor_count",
    "investor_names",
    "cb_url",
    "company_uuid",
    "funding_round_uuid",
]
UI_HEADER = [
    "Company Name",
    "Announced Date",
    "Transaction Name",
    "Number of Investors",
    "Money Raised",
    "Lead Investors",
    "Funding Type",
]


def csv_text(header: Sequence[str], rows: Sequence[dict[str, str] | Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    return out.getvalue()


def write_csv(path: Path, header: Sequence[str], rows: Sequence[dict[str, str]]) -> Path:
    path.write_text(csv_text(header, rows), encoding="utf-8")
    return path


def v4_round(uuid: str, org: str, **cells: str) -> dict[str, str]:
    return {
        "uuid": uuid,
        "org_name": org,
        "org_uuid": f"org-{org}",
        "investment_type": "series_a",
        "announced_on": "2024-02-19",
        "cb_url": f"https://www.crunchbase.com/funding_round/{uuid}",
        **cells,
    }


def v4_export(folder: Path) -> Path:
    """Four rounds in USD, EUR, CNY and JPY, with leads and other investors."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(
        folder / "funding_rounds.csv",
        V4_ROUNDS,
        [
            v4_round(
                "r-usd",
                "Moonshot AI",
                country_code="CHN",
                city="Beijing",
                raised_amount="1000000000",
                raised_amount_usd="1000000000",
                raised_amount_currency_code="USD",
                post_money_valuation="2500000000",
                post_money_valuation_currency_code="USD",
                lead_investor_uuids="i-alibaba",
            ),
            v4_round(
                "r-eur",
                "Mistral AI",
                investment_type="seed",
                announced_on="2023-06-13",
                country_code="FRA",
                raised_amount="105000000",
                raised_amount_usd="113000000",
                raised_amount_currency_code="EUR",
            ),
            v4_round(
                "r-cny",
                "Zhipu AI",
                investment_type="series_b",
                country_code="CHN",
                raised_amount="2500000000",
                raised_amount_currency_code="CNY",
            ),
            v4_round(
                "r-jpy",
                "Sakana AI",
                investment_type="series_unknown",
                country_code="JPN",
                announced_on="2024-09-04",
                raised_amount="30000000000",
                raised_amount_currency_code="JPY",
            ),
        ],
    )
    write_csv(
        folder / "investments.csv",
        V4_INVESTMENTS,
        [
            {
                "uuid": "v1",
                "funding_round_uuid": "r-usd",
                "investor_uuid": "i-alibaba",
                "investor_name": "Alibaba Group",
                "is_lead_investor": "true",
            },
            {
                "uuid": "v2",
                "funding_round_uuid": "r-usd",
                "investor_uuid": "i-hongshan",
                "investor_name": "HongShan",
                "is_lead_investor": "false",
            },
            {
                "uuid": "v3",
                "funding_round_uuid": "r-eur",
                "investor_uuid": "i-lightspeed",
                "investor_name": "Lightspeed Venture Partners",
                "is_lead_investor": "t",
            },
        ],
    )
    write_csv(
        folder / "organizations.csv",
        V4_ORGANIZATIONS,
        [
            {
                "uuid": "org-Moonshot AI",
                "name": "Moonshot AI",
                "homepage_url": "https://www.moonshot.cn",
                "country_code": "CHN",
                "city": "Beijing",
                "short_description": "Maker of Kimi",
            }
        ],
    )
    write_csv(
        folder / "investors.csv",
        V4_INVESTORS,
        [{"uuid": "i-alibaba", "name": "Alibaba Group", "country_code": "CHN"}],
    )
    return folder


def v4_generated(folder: Path, *, rows: int, companies: int = 1000) -> Path:
    """A v4 export of `rows` distinct rounds (a few currencies and stages), streamed to disk."""
    folder.mkdir(parents=True, exist_ok=True)
    stages = ["seed", "series_a", "series_b", "pre_seed", "debt_financing", "grant"]
    with (folder / "funding_rounds.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(V4_ROUNDS)
        for n in range(rows):
            cells = v4_round(
                f"gen-{n}",
                f"Generated {n % companies}",
                investment_type=stages[n % len(stages)],
                announced_on=f"{2000 + n % 25}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                raised_amount=str(100_000 + n),
                raised_amount_currency_code="USD",
                lead_investor_uuids=f"inv-{n % 97}",
            )
            writer.writerow([cells.get(h, "") for h in V4_ROUNDS])
    with (folder / "investors.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(V4_INVESTORS)
        for n in range(97):
            writer.writerow([f"inv-{n}", f"Generated Investor {n}", *[""] * 8])
    return folder

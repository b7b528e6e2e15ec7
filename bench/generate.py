"""A deterministic Crunchbase bulk export (v4 layout) for the benchmarks.

    python -m bench.generate OUT_DIR [--rounds 100000] [--companies 20000] [--investors 5000]

writes `funding_rounds.csv`, `investments.csv`, `organizations.csv` and
`investors.csv` into OUT_DIR. The same arguments always give the same bytes
(one seeded `random.Random`). The mix follows what a Crunchbase export of AI
companies holds: mostly seed and early rounds, about 3 in 4 in USD, a few in
EUR, CNY, GBP, JPY and others, a tenth undisclosed, a quarter with a
post-money valuation, 0 to 12 investors a round (about 2.5 on average).

Each company's rounds climb its own stage ladder at least 60 days apart, so
no two rounds look like duplicates of each other to the importer: importing
the file creates exactly `--rounds` rounds.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROUNDS_HEADER = [
    "uuid", "name", "type", "permalink", "cb_url", "rank", "created_at", "updated_at",
    "country_code", "state_code", "region", "city", "investment_type", "announced_on",
    "raised_amount_usd", "raised_amount", "raised_amount_currency_code",
    "post_money_valuation_usd", "post_money_valuation", "post_money_valuation_currency_code",
    "investor_count", "org_uuid", "org_name", "lead_investor_uuids",
]  # fmt: skip
INVESTMENTS_HEADER = [
    "uuid", "name", "type", "permalink", "cb_url", "rank", "created_at", "updated_at",
    "funding_round_uuid", "funding_round_name", "investor_uuid", "investor_name",
    "investor_type", "is_lead_investor",
]  # fmt: skip
ORGANIZATIONS_HEADER = [
    "uuid", "name", "type", "permalink", "cb_url", "rank", "created_at", "updated_at",
    "legal_name", "roles", "domain", "homepage_url", "country_code", "state_code", "region",
    "city", "address", "postal_code", "status", "short_description", "category_list",
]  # fmt: skip
INVESTORS_HEADER = [
    "uuid", "name", "type", "permalink", "cb_url", "rank", "created_at", "updated_at",
    "roles", "country_code",
]  # fmt: skip

# The ladder a company climbs; side stages (debt, grant, …) may come between steps.
LADDER = [
    "pre_seed", "seed", "series_a", "series_b", "series_c", "series_d", "series_e",
    "series_f", "series_g", "series_h",
]  # fmt: skip
SIDE_STAGES = ["angel", "grant", "debt_financing", "convertible_note", "corporate_round",
               "series_unknown", "undisclosed", "private_equity"]  # fmt: skip
# (median amount in USD, spread) by stage
SIZES = {
    "pre_seed": 500_000, "seed": 2_500_000, "series_a": 12_000_000, "series_b": 35_000_000,
    "series_c": 80_000_000, "series_d": 150_000_000, "series_e": 250_000_000,
    "series_f": 400_000_000, "series_g": 600_000_000, "series_h": 900_000_000,
    "angel": 300_000, "grant": 1_000_000, "debt_financing": 20_000_000,
    "convertible_note": 3_000_000, "corporate_round": 25_000_000, "series_unknown": 10_000_000,
    "undisclosed": 5_000_000, "private_equity": 120_000_000,
}  # fmt: skip
# currency, share, USD per unit (rough: only the published USD column uses it)
CURRENCIES = [
    ("USD", 0.76, 1.0), ("EUR", 0.09, 1.08), ("CNY", 0.06, 0.14), ("GBP", 0.04, 1.27),
    ("JPY", 0.02, 0.0068), ("CAD", 0.015, 0.74), ("INR", 0.015, 0.012),
]  # fmt: skip
COUNTRIES = [
    ("USA", "San Francisco", 0.55), ("CHN", "Beijing", 0.1), ("GBR", "London", 0.07),
    ("FRA", "Paris", 0.05), ("DEU", "Berlin", 0.05), ("CAN", "Toronto", 0.04),
    ("ISR", "Tel Aviv", 0.04), ("IND", "Bangalore", 0.04), ("JPN", "Tokyo", 0.03),
    ("SGP", "Singapore", 0.03),
]  # fmt: skip
CONSONANTS = "bcdfghjklmnprstvwxz"
VOWELS = "aeiou"
COMPANY_SUFFIXES = ["AI", "Labs", "Robotics", "Intelligence", "Systems", "Technologies", ""]
INVESTOR_SUFFIXES = ["Ventures", "Capital", "Partners", "Fund", "Investments", "Growth"]
FIRST_DAY = date(2012, 1, 1)
LAST_DAY = date(2026, 10, 31)


def word(number: int, syllables: int) -> str:
    """A pronounceable word, different for each `number` below len(CV)**syllables."""
    parts = []
    for _ in range(syllables):
        number, index = divmod(number, len(CONSONANTS) * len(VOWELS))
        parts.append(CONSONANTS[index // len(VOWELS)] + VOWELS[index % len(VOWELS)])
    return "".join(parts).capitalize()


def _weighted[T](rng: random.Random, items: list[tuple[T, float]]) -> T:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


def generate(out: Path, *, rounds: int, companies: int, investors: int, seed: int = 2026) -> None:
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    out.mkdir(parents=True, exist_ok=True)
    # Spread the rounds over the companies: each has 1 to 30 (a few raise often).
    counts = [1] * companies
    busy = [1.0 / (1 + n) ** 0.5 for n in range(companies)]
    extra = rounds - companies
    while extra > 0:
        for c in rng.choices(range(companies), weights=busy, k=extra):
            if extra and counts[c] < 30:
                counts[c] += 1
                extra -= 1
    rng.shuffle(counts)

    investor_rows = []
    for n in range(investors):
        name = f"{word(n * 7919 % 857_374 + 1, 3)} {INVESTOR_SUFFIXES[n % len(INVESTOR_SUFFIXES)]}"
        country = _weighted(rng, [(c, w) for c, _, w in COUNTRIES])
        investor_rows.append((f"inv-{n:05d}", name, country))
    # Popular investors take part in many rounds (a Zipf-like pick).
    investor_weights = list(itertools.accumulate(1.0 / (1 + n) ** 0.8 for n in range(investors)))

    with (
        (out / "funding_rounds.csv").open("w", newline="", encoding="utf-8") as rounds_file,
        (out / "investments.csv").open("w", newline="", encoding="utf-8") as investments_file,
        (out / "organizations.csv").open("w", newline="", encoding="utf-8") as orgs_file,
    ):
        rounds_csv = csv.writer(rounds_file, lineterminator="\n")
        investments_csv = csv.writer(investments_file, lineterminator="\n")
        orgs_csv = csv.writer(orgs_file, lineterminator="\n")
        rounds_csv.writerow(ROUNDS_HEADER)
        investments_csv.writerow(INVESTMENTS_HEADER)
        orgs_csv.writerow(ORGANIZATIONS_HEADER)
        rounds_writer = _Rounds(rng, rounds_csv, investments_csv, investor_rows, investor_weights)
        for c, count in enumerate(counts):
            org_uuid = f"org-{c:06d}"
            org_name = f"{word(c * 104_729 % 857_374 + 1, 3)} {COMPANY_SUFFIXES[c % 7]}".strip()
            country, city, _ = _weighted(rng, [((a, b, w), w) for a, b, w in COUNTRIES])
            slug = org_name.lower().replace(" ", "-")
            orgs_csv.writerow(
                [org_uuid, org_name, "organization", slug, f"https://www.crunchbase.com/organization/{slug}",
                 c + 1, "2020-01-01 00:00:00", "2026-10-01 00:00:00", org_name, "company",
                 f"{slug}.example", f"https://{slug}.example", country, "", "", city, "", "",
                 "operating", f"{org_name} builds AI products.", "Artificial Intelligence"]
            )  # fmt: skip
            span = (LAST_DAY - FIRST_DAY).days
            gaps = [rng.randint(60, 400) for _ in range(count - 1)]
            while sum(gaps) >= span:  # a busy company raises more often
                gaps = [max(60, g // 2) for g in gaps]
            day = FIRST_DAY + timedelta(days=rng.randrange(span - sum(gaps)))
            step = rng.choice([0, 0, 1])  # most start at pre-seed or seed
            for _ in range(count):
                if step < len(LADDER) and rng.random() < 0.8:
                    stage = LADDER[step]
                    step += 1
                else:
                    stage = rng.choice(SIDE_STAGES)
                rounds_writer.write((org_uuid, org_name, country, city), stage, day)
                day += timedelta(days=gaps.pop() if gaps else 0)
    with (out / "investors.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(INVESTORS_HEADER)
        for uuid, name, country in investor_rows:
            slug = name.lower().replace(" ", "-")
            writer.writerow(
                [uuid, name, "investor", slug, f"https://www.crunchbase.com/organization/{slug}",
                 "", "2020-01-01 00:00:00", "2026-10-01 00:00:00", "investor", country]
            )  # fmt: skip


@dataclass
class _Rounds:
    """Writes rounds and their investments."""

    rng: random.Random
    rounds_csv: Any
    investments_csv: Any
    investors: list[tuple[str, str, str]]
    investor_weights: list[float]
    number: int = 0

    def write(self, org: tuple[str, str, str, str], stage: str, day: date) -> None:
        org_uuid, org_name, country, city = org
        rng = self.rng
        uuid = f"fr-{self.number:07d}"
        currency, _, usd_rate = _weighted(rng, [((c, s, r), s) for c, s, r in CURRENCIES])
        amount_usd = round(SIZES[stage] * rng.lognormvariate(0, 0.7), -3)
        amount = round(amount_usd / usd_rate, -3) if rng.random() > 0.1 else None
        post = round(amount * rng.uniform(3, 8), -3) if amount and rng.random() < 0.25 else None
        picked: list[int] = []
        population = range(len(self.investors))
        wanted = min(int(rng.expovariate(1 / 2.5)), 12)
        while len(picked) < wanted:
            i = rng.choices(population, cum_weights=self.investor_weights)[0]
            if i not in picked:
                picked.append(i)
        leads = picked[: 1 if picked and rng.random() < 0.7 else 0]
        published_usd = amount_usd if currency == "USD" else round((amount or 0) * usd_rate)
        name = f"{stage.replace('_', ' ').title()} - {org_name}"
        self.rounds_csv.writerow(
            [uuid, name, "funding_round", uuid, f"https://www.crunchbase.com/funding_round/{uuid}",
             self.number + 1, "2020-01-01 00:00:00", "2026-10-01 00:00:00", country, "", "", city,
             stage, day.isoformat(), "" if amount is None else f"{published_usd:.0f}",
             "" if amount is None else f"{amount:.0f}", currency if amount is not None else "",
             "" if post is None else f"{post * usd_rate:.0f}",
             "" if post is None else f"{post:.0f}", currency if post is not None else "",
             len(picked), org_uuid, org_name, ",".join(self.investors[i][0] for i in leads)]
        )  # fmt: skip
        for k, i in enumerate(picked):
            investor_uuid, investor_name, _ = self.investors[i]
            self.investments_csv.writerow(
                [f"iv-{self.number:07d}-{k:02d}", f"{investor_name} investment in {name}",
                 "investment", "", "", "", "2020-01-01 00:00:00", "2026-10-01 00:00:00", uuid,
                 name, investor_uuid, investor_name, "organization",
                 "true" if i in leads else "false"]
            )  # fmt: skip
        self.number += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rounds", type=int, default=100_000)
    parser.add_argument("--companies", type=int)
    parser.add_argument("--investors", type=int)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    companies = args.companies or max(args.rounds // 5, 1)
    investors = args.investors or max(args.rounds // 20, 50)
    generate(
        args.out,
        rounds=args.rounds,
        companies=companies,
        investors=investors,
        seed=args.seed,
    )


if __name__ == "__main__":
    main()

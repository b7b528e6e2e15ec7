"""Crunchbase's three layouts, read from files written in their exact headers."""

from __future__ import annotations

import shutil
import tarfile
import time
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from bench.generate import generate
from funding.importers import importer_for
from funding.importers.base import CellError, RoundRow
from funding.importers.crunchbase_cells import display_money, lead_flags
from funding.importers.files import open_bundle
from funding.importers.stages import stage_for
from funding.models import FundingRound, ImportRun
from tests.funding.importers.layouts import (
    UI_HEADER,
    V2_ROUNDS,
    V4_INVESTMENTS,
    V4_INVESTORS,
    V4_ORGANIZATIONS,
    V4_ROUNDS,
    v4_export,
    v4_round,
    write_csv,
)


def run_import(path: Path | str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_rounds", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()[-1]


def the_round(company: str) -> FundingRound:
    return FundingRound.objects.get(company__name=company)


def leads_and_others(funding_round: FundingRound) -> tuple[set[str], set[str]]:
    parts = funding_round.participations.select_related("investor")
    return (
        {p.investor.name for p in parts if p.is_lead},
        {p.investor.name for p in parts if not p.is_lead},
    )


@pytest.mark.django_db
def test_a_v4_bulk_export_folder_imports_money_dates_and_investors(tmp_path: Path) -> None:
    assert run_import(v4_export(tmp_path / "bulk")) == ("created=4 updated=0 unchanged=0 failed=0")
    moonshot = the_round("Moonshot AI")
    assert (moonshot.stage, str(moonshot.announced_on)) == ("series_a", "2024-02-19")
    assert (moonshot.amount, moonshot.currency) == (Decimal(1_000_000_000), "USD")
    assert moonshot.post_money_valuation_usd == Decimal(2_500_000_000)
    assert leads_and_others(moonshot) == ({"Alibaba Group"}, {"HongShan"})
    assert moonshot.company.country == "CN"
    assert moonshot.company.website == "https://www.moonshot.cn"
    assert moonshot.sources.get().url == "https://www.crunchbase.com/funding_round/r-usd"

    mistral = the_round("Mistral AI")
    assert (mistral.stage, mistral.amount, mistral.currency) == (
        "seed",
        Decimal(105_000_000),
        "EUR",
    )
    assert mistral.amount_usd == Decimal(113_000_000)  # published USD kept
    assert leads_and_others(mistral) == ({"Lightspeed Venture Partners"}, set())

    zhipu = the_round("Zhipu AI")
    assert (zhipu.amount, zhipu.currency, zhipu.usd_basis) == (
        Decimal(2_500_000_000),
        "CNY",
        "exchange_rate",
    )
    sakana = the_round("Sakana AI")
    assert (sakana.stage, sakana.currency, sakana.amount) == (
        "series_unknown",
        "JPY",
        Decimal(30_000_000_000),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_v4_export_archive_imports_like_its_folder(tmp_path: Path, kind: str) -> None:
    folder = v4_export(tmp_path / "bulk_export")
    archive = tmp_path / f"bulk_export.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            for f in folder.iterdir():
                z.write(f, f"bulk_export/{f.name}")
    else:
        with tarfile.open(archive, "w:gz") as t:
            t.add(folder, "bulk_export")
    assert run_import(archive) == "created=4 updated=0 unchanged=0 failed=0"
    assert leads_and_others(the_round("Moonshot AI"))[0] == {"Alibaba Group"}


@pytest.mark.django_db
def test_a_v4_export_split_in_parts_imports_every_part(tmp_path: Path) -> None:
    folder = tmp_path / "bulk"
    folder.mkdir()
    write_csv(folder / "funding_rounds_part_1.csv", V4_ROUNDS, [v4_round("a", "Alpha AI")])
    write_csv(folder / "funding_rounds_part_2.csv", V4_ROUNDS, [v4_round("b", "Beta AI")])
    assert run_import(folder) == "created=2 updated=0 unchanged=0 failed=0"


@pytest.mark.django_db
def test_an_archive_member_outside_the_archive_fails_the_run(tmp_path: Path) -> None:
    folder = v4_export(tmp_path / "bulk")
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(folder / "funding_rounds.csv", "../funding_rounds.csv")
    with pytest.raises(SystemExit):
        run_import(archive)
    assert FundingRound.objects.count() == 0


@pytest.mark.django_db
def test_an_archive_holding_only_links_says_it_holds_no_regular_files(tmp_path: Path) -> None:
    archive = tmp_path / "links.tar.gz"
    with tarfile.open(archive, "w:gz") as t:
        for name, target in [("funding_rounds.csv", "/etc/passwd"), ("people.csv", "../x.csv")]:
            link = tarfile.TarInfo(f"bulk/{name}")
            link.type, link.linkname = tarfile.SYMTYPE, target
            t.addfile(link)
    with pytest.raises(SystemExit):
        run_import(archive)
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert "the archive holds no regular files, only 2 links" in run.message


@pytest.mark.django_db
def test_an_unreadable_csv_row_keeps_the_text_that_was_read(tmp_path: Path) -> None:
    """A cell past the csv module's field limit: its row is refused with its own text."""
    rows = [v4_round("big", "Big Cell AI", short_description="x" * 200_000)]
    rows.append(v4_round("fine", "Fine AI"))
    path = write_csv(tmp_path / "funding_rounds.csv", [*V4_ROUNDS, "short_description"], rows)
    assert run_import(path) == "created=1 updated=0 unchanged=0 failed=1"
    error = ImportRun.objects.get().row_errors.get()
    assert error.reason == (
        "short_description: is longer than the 131,072 characters a CSV cell may hold"
    )
    assert error.raw.startswith("big,")
    assert error.raw.endswith("x" * 100)
    assert len(error.raw) == 2000


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_an_archive_that_unpacks_past_the_cap_fails_the_run_unread(
    tmp_path: Path, kind: str, settings: Any
) -> None:
    settings.IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    folder = v4_export(tmp_path / "bulk")
    with (folder / "investments.csv").open("a") as padding:  # 3 MB compressing to a few kB
        padding.write("," * (3 * 1024 * 1024))
    archive = tmp_path / f"bomb.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for f in folder.iterdir():
                z.write(f, f"bulk/{f.name}")
    else:
        with tarfile.open(archive, "w:gz") as t:
            t.add(folder, "bulk")
    assert archive.stat().st_size < 100_000
    with pytest.raises(SystemExit):
        run_import(archive)
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert "unpacks to 3 MB, more than the 1 MB allowed" in run.message
    assert FundingRound.objects.count() == 0


@pytest.mark.django_db
def test_a_2x_export_reads_types_codes_and_lead_flags(tmp_path: Path) -> None:
    folder = tmp_path / "cb2x"
    folder.mkdir()
    write_csv(
        folder / "funding_rounds.csv",
        V2_ROUNDS,
        [
            {
                "company_name": "Rethink Robots",
                "country_code": "USA",
                "funding_round_type": "venture",
                "funding_round_code": "C",
                "announced_on": "2013-11-01",
                "raised_amount_usd": "11500002",
                "investor_names": "Bezos Expeditions, CRV, Sigma Partners",
                "funding_round_uuid": "2x-1",
            },
            {
                "company_name": "Venture Co",
                "funding_round_type": "venture",
                "announced_on": "2014-01-01",
                "funding_round_uuid": "2x-2",
            },
            {
                "company_name": "Euro Co",
                "funding_round_type": "seed",
                "announced_on": "2014-03-03",
                "raised_amount": "550000",
                "raised_amount_usd": "707630",
                "raised_amount_currency_code": "EUR",
                "funding_round_uuid": "2x-3",
            },
        ],
    )
    write_csv(
        folder / "investments.csv",
        ["funding_round_uuid", "investor_uuid", "is_lead_investor"],
        [
            {"funding_round_uuid": "2x-1", "investor_uuid": "i-crv", "is_lead_investor": "t"},
            {"funding_round_uuid": "2x-1", "investor_uuid": "i-bezos", "is_lead_investor": "f"},
        ],
    )
    write_csv(
        folder / "investors.csv",
        ["investor_name", "country_code", "uuid"],
        [
            {"investor_name": "CRV", "uuid": "i-crv"},
            {"investor_name": "Bezos Expeditions", "uuid": "i-bezos"},
        ],
    )
    assert run_import(folder) == "created=3 updated=0 unchanged=0 failed=0"
    rethink = the_round("Rethink Robots")
    assert (rethink.stage, rethink.amount, rethink.currency) == (
        "series_c",
        Decimal("11500002"),
        "USD",
    )
    assert leads_and_others(rethink) == ({"CRV"}, {"Bezos Expeditions", "Sigma Partners"})
    assert the_round("Venture Co").stage == "series_unknown"
    assert the_round("Venture Co").amount is None
    euro = the_round("Euro Co")
    assert (euro.amount, euro.currency, euro.amount_usd) == (
        Decimal(550000),
        "EUR",
        Decimal(707630),
    )


@pytest.mark.django_db
def test_a_pro_ui_export_reads_display_money_and_leads(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "ui.csv",
        UI_HEADER,
        [
            {
                "Company Name": "ElevenVoices",
                "Announced Date": "2025-01-24",
                "Money Raised": "$180M",
                "Lead Investors": "Andreessen Horowitz, ICONIQ Growth",
                "Funding Type": "Series C",
            },
            {
                "Company Name": "Helsing Co",
                "Announced Date": "2023-09-14",
                "Money Raised": "€8.8M",
                "Funding Type": "Non-equity Assistance",
            },
            {
                "Company Name": "Quiet Co",
                "Announced Date": "2025-11-11",
                "Money Raised": "",
                "Lead Investors": "Someone Famous",
                "Funding Type": "Funding Round",
            },
        ],
    )
    assert run_import(path) == "created=3 updated=0 unchanged=0 failed=0"
    eleven = the_round("ElevenVoices")
    assert (eleven.stage, eleven.amount, eleven.currency) == (
        "series_c",
        Decimal(180_000_000),
        "USD",
    )
    assert leads_and_others(eleven) == ({"Andreessen Horowitz", "ICONIQ Growth"}, set())
    helsing = the_round("Helsing Co")
    assert (helsing.stage, helsing.amount, helsing.currency) == (
        "non_equity_assistance",
        Decimal(8_800_000),
        "EUR",
    )
    quiet = the_round("Quiet Co")
    assert (quiet.stage, quiet.amount) == ("undisclosed", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$2.3B", (Decimal(2_300_000_000), "USD")),
        ("€8.8M", (Decimal(8_800_000), "EUR")),
        ("$180M", (Decimal(180_000_000), "USD")),
        ("CN¥500M", (Decimal(500_000_000), "CNY")),
        ("¥3B", (Decimal(3_000_000_000), "JPY")),
        ("$950K", (Decimal(950_000), "USD")),
        ("", None),
    ],
)
def test_display_money_parses(text: str, expected: tuple[Decimal, str] | None) -> None:
    assert display_money(text) == expected


@pytest.mark.parametrize("text", ["$", "lots", "$-5M", "XQZ5M", "$1,5,,M x"])
def test_display_money_rejects_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(CellError):
        display_money(text)


@pytest.mark.parametrize(
    ("label", "code", "stage"),
    [
        ("Funding Round", "", "undisclosed"),
        ("Pre-Seed", "", "pre_seed"),
        ("Non-equity Assistance", "", "non_equity_assistance"),
        ("venture", "A", "series_a"),
        ("venture", "", "series_unknown"),
        ("Venture - Series Unknown", "", "series_unknown"),
        ("series_j", "", "series_j"),
        ("corporate_round", "", "corporate_round"),
        ("Post-IPO Equity", "", "post_ipo_equity"),
        ("seed", "A", "seed"),
    ],
)
def test_every_crunchbase_label_maps_through_the_one_table(
    label: str, code: str, stage: str
) -> None:
    assert stage_for(label, code) == stage


def test_an_unknown_label_maps_to_nothing() -> None:
    assert stage_for("Mystery Round") is None


@pytest.mark.django_db
def test_a_copy_of_a_real_sample_layout_is_detected(tmp_path: Path) -> None:
    shutil.copy(v4_export(tmp_path / "b") / "funding_rounds.csv", tmp_path / "rounds.csv")
    assert run_import(tmp_path / "rounds.csv") == "created=4 updated=0 unchanged=0 failed=0"


def test_v4_rounds_find_their_side_rows_whatever_batch_they_are_read_in(tmp_path: Path) -> None:
    """The side files are asked about the rounds in batches, ended by rows or by size."""
    folder = tmp_path / "bulk"
    folder.mkdir()
    count = 250
    write_csv(
        folder / "funding_rounds.csv",
        V4_ROUNDS,
        [
            # Some rows of 110,000 characters: a batch of them ends early.
            v4_round(f"r{n}", f"Company {n}", lead_investor_uuids=f"lead-{n}")
            | ({"region": "x" * 110_000} if n % 8 == 7 else {})
            for n in range(count)
        ],
    )
    write_csv(
        folder / "investments.csv",
        V4_INVESTMENTS,
        [  # in the reverse order of the rounds
            {
                "funding_round_uuid": f"r{n}",
                "investor_uuid": f"i-{n}",
                "investor_name": f"Investor {n}",
                "is_lead_investor": "false",
            }
            for n in reversed(range(count))
        ],
    )
    write_csv(
        folder / "organizations.csv",
        V4_ORGANIZATIONS,
        [
            {"uuid": f"org-Company {n}", "homepage_url": f"https://c{n}.example"}
            for n in range(count)
        ],
    )
    write_csv(
        folder / "investors.csv",
        V4_INVESTORS,
        [{"uuid": f"lead-{n}", "name": f"Lead {n}"} for n in range(count)],
    )
    bundle = open_bundle(folder)
    rows = list(importer_for(bundle, "crunchbase").read(bundle))
    assert len(rows) == count
    for n, row in enumerate(rows):
        assert isinstance(row, RoundRow)
        assert (row.company, row.company_fields["website"]) == (
            f"Company {n}",
            f"https://c{n}.example",
        )
        assert row.investors == [
            {"name": f"Investor {n}", "slug": "", "is_lead": False},
            {"name": f"Lead {n}", "slug": "", "is_lead": True},
        ]


def test_reading_a_v4_export_keeps_memory_flat_as_the_file_grows(tmp_path: Path) -> None:
    """The side files go to a temporary SQLite file and the rounds are streamed."""
    peaks = []
    for rounds in (1_000, 10_000):
        folder = tmp_path / str(rounds)
        generate(folder, rounds=rounds, companies=rounds // 5, investors=300)
        bundle = open_bundle(folder)
        tracemalloc.start()
        count = sum(1 for _ in importer_for(bundle, "crunchbase").read(bundle))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == rounds
    assert peaks[1] < 1.5 * peaks[0], peaks


def test_a_v4_rounds_leads_keep_the_order_of_its_cell() -> None:
    assert list(lead_flags({"lead_investor_uuids": "b2, a1 ,b2,,c3"})) == ["b2", "a1", "c3"]
    assert lead_flags({}) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("layout", ["v4", "2.x"])
def test_an_unknown_currency_is_reported_as_not_an_iso_4217_code(
    tmp_path: Path, layout: str
) -> None:
    money = {"raised_amount": "5000000", "raised_amount_currency_code": "XYZ"}
    if layout == "v4":
        path = write_csv(
            tmp_path / "funding_rounds.csv",
            V4_ROUNDS,
            [v4_round("x", "Xyz AI", **money), v4_round("ok", "Fine AI")],
        )
    else:
        rows = [
            {
                "company_name": "Xyz AI",
                "funding_round_type": "seed",
                "announced_on": "2014-03-03",
                "funding_round_uuid": "2x-x",
                **money,
            },
            {
                "company_name": "Fine AI",
                "funding_round_type": "seed",
                "announced_on": "2014-03-03",
                "funding_round_uuid": "2x-ok",
            },
        ]
        path = write_csv(tmp_path / "funding_rounds.csv", V2_ROUNDS, rows)
    assert run_import(path) == "created=1 updated=0 unchanged=0 failed=1"
    reason = ImportRun.objects.get().row_errors.get().reason
    assert reason == "raised_amount_currency_code: 'XYZ' is not an ISO 4217 currency code"


@pytest.mark.django_db
def test_an_oversized_quoted_cell_rejects_its_row_and_the_rows_after_it_land(
    tmp_path: Path,
) -> None:
    """A 2.x export with a 10 MB quoted cell holding line breaks, then good rows."""
    big_lines = 250_000
    big = "\n".join(['a, line of a "quoted" list, with commas'] * big_lines)
    assert len(big) > 9_900_000
    good = [
        {
            "company_name": f"Good {n} AI",
            "funding_round_type": "seed",
            "announced_on": "2014-03-03",
            "funding_round_uuid": f"2x-good-{n}",
        }
        for n in range(5)
    ]
    rows = [
        {
            "company_name": "Big Cell AI",
            "funding_round_type": "seed",
            "announced_on": "2014-03-03",
            "company_category_list": big,
            "funding_round_uuid": "2x-big",
        },
        *good[:2],
        {
            "company_name": "Odd AI",
            "funding_round_type": "no such type",
            "announced_on": "2014-03-03",
            "funding_round_uuid": "2x-odd",
        },
        *good[2:],
    ]
    path = write_csv(tmp_path / "funding_rounds.csv", V2_ROUNDS, rows)
    assert path.stat().st_size > 10_000_000
    assert run_import(path) == "created=5 updated=0 unchanged=0 failed=2"
    errors = ImportRun.objects.get().row_errors.order_by("line")
    assert [e.line for e in errors] == [2, 2 + big_lines + 2]
    assert errors[0].reason == (
        "company_category_list: is longer than the 131,072 characters a CSV cell may hold"
    )
    assert errors[0].raw.startswith("Big Cell AI,")
    assert "unknown funding round type" in errors[1].reason
    assert FundingRound.objects.count() == 5


@pytest.mark.django_db
def test_a_2x_lead_flag_whose_investor_is_unknown_is_reported_not_dropped(
    tmp_path: Path,
) -> None:
    """As in the real 2.x sample: three lead investments, none in investors.csv."""
    folder = tmp_path / "cb2x"
    folder.mkdir()
    write_csv(
        folder / "funding_rounds.csv",
        V2_ROUNDS,
        [
            {
                "company_name": "GuestDriven",
                "funding_round_type": "venture",
                "funding_round_code": "A",
                "announced_on": "2013-11-01",
                "raised_amount_usd": "3000000",
                "investor_names": "Caerus Ventures, Plaza Ventures, Real Ventures",
                "funding_round_uuid": "2x-gd",
            }
        ],
    )
    write_csv(
        folder / "investments.csv",
        ["funding_round_uuid", "investor_uuid", "is_lead_investor"],
        [
            {"funding_round_uuid": "2x-gd", "investor_uuid": f"i-{n}", "is_lead_investor": "t"}
            for n in range(3)
        ],
    )
    write_csv(folder / "investors.csv", ["investor_name", "uuid"], [])
    assert run_import(folder) == "created=1 updated=0 unchanged=0 failed=0"
    leads, others = leads_and_others(the_round("GuestDriven"))
    assert (leads, others) == (set(), {"Caerus Ventures", "Plaza Ventures", "Real Ventures"})
    warning = ImportRun.objects.get().row_errors.get()
    assert (warning.line, warning.rejected) == (2, False)
    assert warning.reason == (
        "investors: 3 investors (3 marked as lead) are in no investors file nor named by the "
        "investment (i-0, i-1, i-2): the round keeps investor_names, without these lead flags"
    )


@pytest.mark.django_db
def test_a_v4_lead_whose_investor_is_unknown_is_reported_not_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "v4"
    folder.mkdir()
    write_csv(
        folder / "funding_rounds.csv",
        V4_ROUNDS,
        [v4_round("r1", "Lead Lost AI", lead_investor_uuids="i-ghost,i-named")],
    )
    write_csv(
        folder / "investments.csv",
        V4_INVESTMENTS,
        [
            {
                "uuid": "v1",
                "funding_round_uuid": "r1",
                "investor_uuid": "i-named",
                "investor_name": "Named Capital",
                "is_lead_investor": "true",
            },
            {
                "uuid": "v2",
                "funding_round_uuid": "r1",
                "investor_uuid": "i-nameless",
                "investor_name": "",
                "is_lead_investor": "false",
            },
        ],
    )
    assert run_import(folder) == "created=1 updated=0 unchanged=0 failed=0"
    assert leads_and_others(the_round("Lead Lost AI")) == ({"Named Capital"}, set())
    warning = ImportRun.objects.get().row_errors.get()
    assert (warning.line, warning.rejected) == (2, False)
    assert warning.reason == (
        "investors: 2 investors (1 marked as lead) are in no investors file nor named by the "
        "investment (i-nameless, i-ghost): not recorded"
    )


@pytest.mark.django_db
def test_a_1_mb_zip_of_a_gibibyte_of_line_breaks_ends_its_run_within_a_minute(
    tmp_path: Path,
) -> None:
    """A CPU bomb inside the size caps: a header, then 1 GiB of line breaks."""
    archive = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z,
        z.open("funding_rounds.csv", "w", force_zip64=True) as member,
    ):
        member.write(",".join(V4_ROUNDS).encode() + b"\n")
        block = b"\n" * (1 << 24)
        for _ in range(64):
            member.write(block)
    assert archive.stat().st_size < 1_100_000
    started = time.monotonic()
    with pytest.raises(SystemExit):
        run_import(archive)
    assert time.monotonic() - started < 60
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert "more than 20,000,000 lines (IMPORT_MAX_LINES" in run.message
    assert FundingRound.objects.count() == 0


@pytest.mark.django_db
def test_reading_past_the_time_bound_fails_the_run_with_its_setting(
    tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_READ_SECONDS = 0.0
    with pytest.raises(SystemExit):
        run_import(v4_export(tmp_path / "bulk"))
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert "longer than 0 s (IMPORT_MAX_READ_SECONDS)" in run.message
    assert FundingRound.objects.count() == 0

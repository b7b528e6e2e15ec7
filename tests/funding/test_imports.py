"""The import pipeline: runs, idempotency, duplicates, bad rows, the command, admin, schedules."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from companies.models import Company, Investor
from config.celery_app import app
from funding.importers import RoundRow, RowError
from funding.imports import (
    ANALYZE_AFTER_ROWS,
    import_chunk_apply,
    import_run_create,
    import_run_prepare,
)
from funding.imports.reading import _stored_row
from funding.imports.runs import _doubled
from funding.models import (
    FundingRound,
    ImportRowError,
    ImportRun,
    ImportSource,
    Participation,
    RoundKey,
)
from funding.record import CSV_COLUMNS
from funding.tasks import (
    IMPORT_GC_THRESHOLD,
    fewer_collections,
    import_chunk,
    import_runs_resume_stalled,
    import_sources_run_due,
)
from funding.versions import rounds_version
from tests.factories import CompanyFactory, RoundFactory
from tests.funding.importers.layouts import V4_ROUNDS, csv_text, v4_export, v4_round, write_csv


@pytest.fixture(autouse=True)
def _eager_tasks() -> Iterator[None]:
    """Tasks run in this process even when CI points Celery at a real broker."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def run_import(path: Path | str, *extra: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_rounds", str(path), *extra, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1], err.getvalue()


def rounds_file(tmp_path: Path, *rows: dict[str, str], name: str = "rounds.csv") -> Path:
    return write_csv(tmp_path / name, V4_ROUNDS, list(rows))


@pytest.mark.django_db
def test_importing_the_same_file_twice_creates_nothing_the_second_time(tmp_path: Path) -> None:
    path = rounds_file(tmp_path, v4_round("a", "Alpha AI"), v4_round("b", "Beta AI"))
    assert run_import(path)[0] == "created=2 updated=0 unchanged=0 failed=0"
    assert run_import(path)[0] == "created=0 updated=0 unchanged=2 failed=0"
    assert FundingRound.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_key_stored_by_another_run_meanwhile_fails_the_chunk_and_its_retry_finds_the_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = v4_round("k1", "Keyed AI", raised_amount="1000000", raised_amount_currency_code="USD")
    assert run_import(rounds_file(tmp_path, row, name="first.csv"))[0].startswith("created=1 ")
    run = import_run_create(
        location=str(rounds_file(tmp_path, {**row, "org_name": "Renamed Robotics"}, name="b.csv")),
        trigger=ImportRun.Trigger.COMMAND,
    )
    import_run_prepare(run_id=run.pk)
    with monkeypatch.context() as patch:  # as if the key were stored after the chunk looked
        patch.setattr("funding.imports.matching._rounds_by_key", lambda keys: ({}, set()))
        with pytest.raises(IntegrityError):
            import_chunk_apply(run_id=run.pk, number=0)
    assert import_chunk_apply(run_id=run.pk, number=0)
    run.refresh_from_db()
    assert (run.created, run.updated + run.unchanged, run.status) == (0, 1, "done")
    assert FundingRound.objects.count() == RoundKey.objects.count() == 1


@pytest.mark.django_db
def test_a_row_doubled_in_one_file_makes_one_round(tmp_path: Path) -> None:
    row = v4_round("a", "Alpha AI", raised_amount="5000000", raised_amount_currency_code="USD")
    assert run_import(rounds_file(tmp_path, row, row))[0] == (
        "created=1 updated=0 unchanged=1 failed=0"
    )
    assert FundingRound.objects.count() == 1


@pytest.mark.django_db
def test_a_changed_row_updates_its_round(tmp_path: Path) -> None:
    run_import(rounds_file(tmp_path, v4_round("a", "Alpha AI", raised_amount="")))
    changed = v4_round("a", "Alpha AI", raised_amount="7000000", raised_amount_currency_code="USD")
    assert run_import(rounds_file(tmp_path, changed))[0] == (
        "created=0 updated=1 unchanged=0 failed=0"
    )
    assert FundingRound.objects.get().amount == Decimal(7_000_000)


@pytest.mark.django_db
def test_a_reimport_adds_investors_and_leads_to_its_rounds_and_removes_none(
    tmp_path: Path,
) -> None:
    export = v4_export(tmp_path / "export")
    assert run_import(export)[0] == "created=4 updated=0 unchanged=0 failed=0"
    assert run_import(export)[0] == "created=0 updated=0 unchanged=4 failed=0"
    investments = (export / "investments.csv").read_text()
    (export / "investments.csv").write_text(
        investments.replace("HongShan,,false", "HongShan,,true").rstrip("\n")
        + "\nv9,,,,,,,,r-usd,,i-new,New Capital,,false\n"
    )
    assert run_import(export)[0] == "created=0 updated=1 unchanged=3 failed=0"
    moonshot = FundingRound.objects.get(company__name="Moonshot AI")
    assert sorted(moonshot.participations.values_list("investor__name", "is_lead")) == [
        ("Alibaba Group", True),
        ("HongShan", True),
        ("New Capital", False),
    ]
    assert list(moonshot.sources.values_list("url", flat=True)) == [
        "https://www.crunchbase.com/funding_round/r-usd"
    ]


@pytest.mark.django_db
def test_companies_are_matched_by_name_and_alias(tmp_path: Path) -> None:
    company = CompanyFactory.create(name="Moonshot AI", aliases=["月之暗面"])
    path = rounds_file(
        tmp_path, v4_round("a", "MOONSHOT  AI"), v4_round("b", "月之暗面", investment_type="seed")
    )
    run_import(path)
    assert set(FundingRound.objects.values_list("company", flat=True)) == {company.pk}


@pytest.mark.django_db
def test_a_likely_duplicate_round_is_merged_not_doubled(tmp_path: Path) -> None:
    existing = RoundFactory.create(
        company=CompanyFactory.create(name="Alpha AI"),
        announced_on=date(2024, 2, 1),
        amount=Decimal(10_000_000),
    )
    row = v4_round(
        "a",
        "Alpha AI",
        announced_on="2024-02-20",
        raised_amount="10300000",
        raised_amount_currency_code="USD",
    )
    assert run_import(rounds_file(tmp_path, row))[0] == ("created=0 updated=1 unchanged=0 failed=0")
    existing.refresh_from_db()
    # A near-duplicate fills what the round lacks; the figures it has stay.
    assert existing.amount == Decimal(10_000_000)
    assert FundingRound.objects.count() == 1
    assert run_import(rounds_file(tmp_path, row))[0] == ("created=0 updated=0 unchanged=1 failed=0")


@pytest.mark.django_db
def test_a_near_match_that_is_not_certain_is_flagged_for_review(tmp_path: Path) -> None:
    RoundFactory.create(
        company=CompanyFactory.create(name="Alpha AI"),
        announced_on=date(2024, 2, 1),
        amount=Decimal(10_000_000),
    )
    row = v4_round(
        "a",
        "Alpha AI",
        announced_on="2024-02-20",
        raised_amount="20000000",
        raised_amount_currency_code="USD",
    )
    run_import(rounds_file(tmp_path, row))
    assert FundingRound.objects.filter(status="needs_review").count() == 1
    assert FundingRound.objects.count() == 2


MALFORMED = [
    # (cells of a v4 row, or raw line; field named in the reason)
    (v4_round("bad-date", "Date Co", announced_on="2024-13-45"), "announced_on"),
    (
        v4_round("neg", "Neg Co", raised_amount="-5", raised_amount_currency_code="USD"),
        "raised_amount",
    ),
    (
        v4_round("big", "Big Co", raised_amount="1e30", raised_amount_currency_code="USD"),
        "raised_amount",
    ),
    (
        v4_round("cur", "Cur Co", raised_amount="5", raised_amount_currency_code="XXY"),
        "raised_amount_currency_code",
    ),
    (v4_round("noname", ""), "org_name"),
    (v4_round("formula", '=HYPERLINK("http://x")'), "org_name"),
    (v4_round("long", "L" * 10_000), "org_name"),
    (v4_round("type", "Type Co", investment_type="mystery"), "investment_type"),
]


@pytest.mark.django_db
def test_a_malformed_corpus_reports_every_bad_row_and_imports_every_good_one(
    tmp_path: Path,
) -> None:
    good = [v4_round(f"g{n}", f"Good {n}") for n in range(3)]
    text = csv_text(V4_ROUNDS, [good[0], *[row for row, _ in MALFORMED], good[1]])
    lines = text.splitlines()
    lines.insert(3, "too,few,columns")
    raw = "\r\n".join(lines).encode()
    bad_utf8 = csv_text(V4_ROUNDS, [v4_round("utf", "Bad UTF")]).splitlines()[1].encode()
    bad_utf8 = bad_utf8.replace(b"Bad UTF", b"Bad \xff\xfe UTF")
    good_last = csv_text(V4_ROUNDS, [good[2]]).splitlines()[1].encode()
    path = tmp_path / "funding_rounds.csv"
    path.write_bytes(b"\xef\xbb\xbf" + raw + b"\r\n" + bad_utf8 + b"\r\n" + good_last + b"\r\n")

    summary, err = run_import(path)

    run = ImportRun.objects.get()
    bad_count = len(MALFORMED) + 2  # plus the short row and the invalid UTF-8 row
    assert summary == f"created=3 updated=0 unchanged=0 failed={bad_count}"
    assert run.status == "done"
    assert run.created + run.updated + run.unchanged + run.failed == run.rows_total
    assert run.rows_total == 3 + bad_count
    errors = {e.line: e.reasons for e in ImportRowError.objects.filter(run=run)}
    assert len(errors) == bad_count
    assert errors[4] == {"row": f"expected {len(V4_ROUNDS)} columns, found 3"}
    for offset, (_, field) in enumerate(MALFORMED):
        line = 3 + offset + (offset >= 1)  # the short row is line 4
        assert field in errors[line], (line, errors[line])
    assert "not valid UTF-8" in " ".join(errors[max(errors)].values())
    assert "rows rejected" in err


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "bad"), [("region", b"\xff"), ("uuid", b"\xfe"), ("city", b"\x00")]
)
def test_unreadable_text_in_a_cell_no_check_reads_rejects_the_row_not_the_run(
    tmp_path: Path, column: str, bad: bytes
) -> None:
    rows = [v4_round("ok1", "Readable AI"), v4_round("bad", "Unreadable AI"), v4_round("ok2", "B")]
    rows[1][column] = "MARK"
    data = csv_text(V4_ROUNDS, rows).encode().replace(b"MARK", b"x" + bad + b"y")
    path = tmp_path / "funding_rounds.csv"
    path.write_bytes(data)
    assert run_import(path)[0] == "created=2 updated=0 unchanged=0 failed=1"
    error = ImportRowError.objects.get()
    assert (error.line, list(error.reasons)) == (3, [column])
    assert error.reasons[column] in {"not valid UTF-8", "contains a NUL byte"}


def test_a_row_whose_text_cannot_be_stored_becomes_a_row_error() -> None:
    row = RoundRow(line=7, raw="raw", key="k", company="A", stage="seed", announced_on="2024-01-01")
    assert _stored_row(row)[1] is None
    row.notes = "half a character: \udc80"
    stored, refused = _stored_row(row)
    assert (stored, refused) == (b"", RowError(7, "raw", {"row": "holds text that is not UTF-8"}))


@pytest.mark.django_db
def test_a_file_that_is_not_the_format_fails_with_one_message_and_changes_nothing(
    tmp_path: Path,
) -> None:
    RoundFactory.create()
    path = tmp_path / "notes.csv"
    path.write_text("name,age\nann,3\n")
    with pytest.raises(SystemExit) as exit_info:
        run_import(path)
    assert exit_info.value.code == 1
    run = ImportRun.objects.get()
    assert run.status == "failed"
    assert "not a file Roundbook can import" in run.message
    assert FundingRound.objects.count() == 1
    assert run.chunks.count() == 0
    assert not ImportRowError.objects.exists()


@pytest.mark.django_db
def test_a_named_format_that_does_not_fit_fails_the_run(tmp_path: Path) -> None:
    path = rounds_file(tmp_path, v4_round("a", "Alpha AI"))
    with pytest.raises(SystemExit):
        run_import(path, "--format", "roundbook")
    assert FundingRound.objects.count() == 0


@pytest.mark.django_db
def test_a_chunk_delivered_twice_is_applied_once(tmp_path: Path, settings: object) -> None:
    settings.IMPORT_CHUNK_ROWS = 2  # type: ignore[attr-defined]
    path = rounds_file(tmp_path, *(v4_round(str(n), f"Co {n}") for n in range(5)))
    run = import_run_create(location=str(path), trigger=ImportRun.Trigger.COMMAND)
    import_run_prepare(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.chunks_total, run.rows_total) == ("running", 3, 5)
    assert import_chunk_apply(run_id=run.pk, number=1) is True
    assert import_chunk_apply(run_id=run.pk, number=1) is False
    for number in (0, 2):
        import_chunk_apply(run_id=run.pk, number=number)
    run.refresh_from_db()
    assert (run.status, run.created, run.chunks_done) == ("done", 5, 3)
    assert FundingRound.objects.count() == 5


@pytest.mark.django_db
def test_a_chunk_that_keeps_failing_fails_the_run_with_its_reason(tmp_path: Path) -> None:
    path = rounds_file(tmp_path, v4_round("a", "Alpha AI"))
    run = import_run_create(location=str(path), trigger=ImportRun.Trigger.COMMAND)
    import_run_prepare(run_id=run.pk)
    with (
        mock.patch("funding.imports.runs.apply_rows", side_effect=RuntimeError("disk on fire")),
        pytest.raises(RuntimeError),
    ):
        import_chunk.delay(run.pk, 0)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "disk on fire" in run.message


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "a-long-password-1"))
    return client


@pytest.mark.django_db
def test_an_uploaded_file_is_imported_and_its_run_shown(
    admin_client: Client,
    tmp_path: Path,
    settings: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    settings.IMPORT_UPLOAD_DIR = tmp_path  # type: ignore[attr-defined]
    content = csv_text(V4_ROUNDS, [v4_round("a", "Alpha AI"), v4_round("b", "", org_uuid="x")])
    upload = SimpleUploadedFile("rounds.csv", content.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = admin_client.post(
            reverse("admin:funding_importrun_upload"), {"file": upload, "format": ""}
        )
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert (run.status, run.created, run.failed, run.trigger) == ("done", 1, 1, "upload")
    assert run.started_by is not None
    assert list(tmp_path.iterdir()) == []  # the upload is deleted once read
    page = admin_client.get(reverse("admin:funding_importrun_change", args=[run.pk]))
    assert b"1 of 1 chunks" in page.content
    assert b"org_name: is missing" in page.content
    listing = admin_client.get(reverse("admin:funding_importrun_changelist"))
    assert b"Upload a file" in listing.content
    errors = admin_client.get(
        reverse("admin:funding_importrowerror_changelist") + f"?run__id__exact={run.pk}"
    )
    assert b"org_name: is missing" in errors.content


@pytest.mark.django_db
def test_an_upload_over_the_size_cap_is_refused(admin_client: Client, settings: object) -> None:
    settings.IMPORT_MAX_BYTES = 10  # type: ignore[attr-defined]
    upload = SimpleUploadedFile("rounds.csv", b"x" * 11)
    response = admin_client.post(reverse("admin:funding_importrun_upload"), {"file": upload})
    assert response.status_code == 200
    assert b"larger than" in response.content
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_run_now_imports_a_source(
    admin_client: Client, tmp_path: Path, django_capture_on_commit_callbacks: object
) -> None:
    source = ImportSource.objects.create(name="feed", url="https://data.example.com/r.csv")
    path = rounds_file(tmp_path, v4_round("a", "Alpha AI"))
    with (
        mock.patch("funding.imports.runs.fetch_to_file", return_value=path),
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[operator]
    ):
        admin_client.post(
            reverse("admin:funding_importsource_changelist"),
            {"action": "run_now", "_selected_action": [source.pk]},
        )
    run = ImportRun.objects.get()
    assert (run.status, run.created, run.trigger, run.source) == ("done", 1, "admin", source)


@pytest.mark.django_db
def test_the_beat_task_runs_due_sources_only(
    tmp_path: Path, django_capture_on_commit_callbacks: object
) -> None:
    later = timezone.now() + timedelta(hours=1)
    due = ImportSource.objects.create(name="due", url="https://a.example.com/r.csv")
    ImportSource.objects.create(name="later", url="https://b.example.com/r.csv", next_run_at=later)
    ImportSource.objects.create(name="off", url="https://c.example.com/r.csv", enabled=False)
    path = rounds_file(tmp_path, v4_round("a", "Alpha AI"))
    with (
        mock.patch("funding.imports.runs.fetch_to_file", return_value=path),
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[operator]
    ):
        assert import_sources_run_due() == 1
    due.refresh_from_db()
    assert due.next_run_at is not None
    assert due.next_run_at > timezone.now()
    assert ImportRun.objects.get().source == due
    assert FundingRound.objects.count() == 1


def _queries_of_an_import(path: Path) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert run_import(path)[0].startswith("created=")
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_on_postgresql_rows_are_copied_in_with_a_fixed_number_of_queries(
    tmp_path: Path, postgres: None
) -> None:
    small = rounds_file(
        tmp_path, *(v4_round(f"s{n}", f"Small {n} AI") for n in range(3)), name="small.csv"
    )
    large = rounds_file(
        tmp_path, *(v4_round(f"l{n}", f"Large {n} AI") for n in range(60)), name="large.csv"
    )
    queries = _queries_of_an_import(large)
    assert len(_queries_of_an_import(small)) == len(queries)
    # COPY (which the capture does not list) wrote the rows; history came from them in SQL.
    assert not any(q.startswith('INSERT INTO "funding_fundinground"') for q in queries)
    assert not any(q.startswith('INSERT INTO "companies_company"') for q in queries)
    assert any(q.startswith('INSERT INTO "funding_historicalfundinground"') for q in queries)
    assert FundingRound.objects.count() == 63
    assert FundingRound.history.filter(history_type="+").count() == 63


@pytest.mark.django_db
def test_created_rounds_and_their_investors_have_history(tmp_path: Path) -> None:
    assert run_import(v4_export(tmp_path / "export"))[0].startswith("created=4 ")
    rounds = FundingRound.objects.all()
    assert FundingRound.history.filter(history_type="+").count() == 4
    participations = Participation.objects.filter(round__in=rounds)
    assert participations.exists()
    assert Participation.history.filter(history_type="+").count() == participations.count()


@pytest.mark.django_db
def test_a_large_run_refreshes_the_planner_statistics_when_it_ends(
    tmp_path: Path, postgres: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("funding.imports.runs.ANALYZE_AFTER_ROWS", 4)
    path = rounds_file(tmp_path, *(v4_round(f"a{n}", f"Analyzed {n} AI") for n in range(4)))
    assert run_import(path)[0] == "created=4 updated=0 unchanged=0 failed=0"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'funding_fundinground'")
        assert cursor.fetchone()[0] == 4


def test_the_garbage_collector_runs_rarely_during_import_work_and_as_before_after() -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []

    def failing_work() -> None:
        with fewer_collections():
            seen.append(gc.get_threshold())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_work()
    assert seen == [IMPORT_GC_THRESHOLD]
    assert gc.get_threshold() == before != IMPORT_GC_THRESHOLD


def test_a_run_refreshes_the_rounds_statistics_each_time_it_doubles_what_it_wrote() -> None:
    assert _doubled(0, ANALYZE_AFTER_ROWS)
    assert _doubled(1000, 2048)
    assert _doubled(2048, 4100)
    assert not _doubled(1100, 2000)
    assert not _doubled(0, ANALYZE_AFTER_ROWS - 1)


@pytest.mark.django_db
def test_an_import_that_changes_a_round_renews_the_cached_figures_stamp(tmp_path: Path) -> None:
    first = v4_round("r1", "Stamped AI", raised_amount="1000000", raised_amount_currency_code="USD")
    assert run_import(rounds_file(tmp_path, first, name="a.csv"))[0].startswith("created=1 ")
    before = rounds_version()
    assert run_import(rounds_file(tmp_path, first, name="b.csv"))[0].startswith("created=0 ")
    assert rounds_version() == before  # nothing changed, nothing to recompute
    changed = {**first, "raised_amount": "2000000"}
    assert run_import(rounds_file(tmp_path, changed, name="c.csv"))[0] == (
        "created=0 updated=1 unchanged=0 failed=0"
    )
    assert rounds_version() != before


def roundbook_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    return write_csv(path, CSV_COLUMNS, rows)


@pytest.mark.django_db
def test_a_row_rejected_for_post_money_below_amount_creates_no_company_or_investor(
    tmp_path: Path,
) -> None:
    rejected = {
        "company_name": "Orphan AI",
        "stage": "series_a",
        "announced_on": "2024-02-01",
        "amount": "10000000",
        "currency": "USD",
        "post_money_valuation": "5000000",
        "lead_investors": "Orphan Capital",
        "other_investors": "Shared Ventures",
    }
    good = {
        "company_name": "Kept AI",
        "stage": "seed",
        "announced_on": "2024-03-01",
        "amount": "2000000",
        "currency": "USD",
        "lead_investors": "Shared Ventures",
    }
    path = roundbook_csv(tmp_path / "rounds.csv", [rejected, good])
    assert run_import(path)[0] == "created=1 updated=0 unchanged=0 failed=1"
    assert "below the amount raised" in ImportRowError.objects.get().reason
    assert list(Company.objects.values_list("name", flat=True)) == ["Kept AI"]
    assert list(Investor.objects.values_list("name", flat=True)) == ["Shared Ventures"]
    assert run_import(path)[0] == "created=0 updated=0 unchanged=1 failed=1"
    assert Company.objects.count() == Investor.objects.count() == 1


@pytest.mark.django_db
def test_reimporting_a_file_with_a_near_duplicate_settles_after_the_first_import(
    tmp_path: Path,
) -> None:
    """Same company and stage 19 days apart, 10.0M then 10.3M: one round, kept at 10.0M."""
    first = v4_round(
        "a",
        "Near AI",
        announced_on="2024-02-01",
        raised_amount="10000000",
        raised_amount_currency_code="USD",
    )
    second = v4_round(
        "b",
        "Near AI",
        announced_on="2024-02-20",
        raised_amount="10300000",
        raised_amount_currency_code="USD",
    )
    path = rounds_file(tmp_path, first, second)
    assert run_import(path)[0] == "created=1 updated=0 unchanged=1 failed=0"
    funding_round = FundingRound.objects.get()
    assert funding_round.amount == Decimal(10_000_000)
    history = FundingRound.history.count()
    for _ in range(3):
        assert run_import(path)[0] == "created=0 updated=0 unchanged=2 failed=0"
    funding_round.refresh_from_db()
    assert funding_round.amount == Decimal(10_000_000)
    assert FundingRound.history.count() == history  # nothing was written


@pytest.mark.django_db
def test_a_near_duplicate_from_another_file_fills_gaps_then_settles(tmp_path: Path) -> None:
    own = v4_round(
        "a",
        "Near AI",
        announced_on="2024-02-01",
        raised_amount="10000000",
        raised_amount_currency_code="USD",
    )
    other = v4_round(
        "b",
        "Near AI",
        announced_on="2024-02-20",
        raised_amount="10300000",
        raised_amount_currency_code="USD",
        post_money_valuation="50000000",
        post_money_valuation_currency_code="USD",
    )
    run_import(rounds_file(tmp_path, own, name="own.csv"))
    other_file = rounds_file(tmp_path, other, name="other.csv")
    assert run_import(other_file)[0] == "created=0 updated=1 unchanged=0 failed=0"
    funding_round = FundingRound.objects.get()
    assert (funding_round.amount, funding_round.post_money_valuation) == (
        Decimal(10_000_000),
        Decimal(50_000_000),
    )
    both = rounds_file(tmp_path, own, other, name="both.csv")
    for _ in range(2):
        assert run_import(both)[0] == "created=0 updated=0 unchanged=2 failed=0"


def _queued_run(tmp_path: Path) -> ImportRun:
    """A run created (queued) whose task never reached a worker."""
    path = rounds_file(tmp_path, v4_round("q1", "Queued AI"), name="queued.csv")
    return import_run_create(location=str(path), trigger=ImportRun.Trigger.COMMAND)


@pytest.mark.django_db
def test_a_stalled_queued_run_is_read_again_by_the_periodic_task(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    run = _queued_run(tmp_path)
    ImportRun.objects.filter(pk=run.pk).update(progressed_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert import_runs_resume_stalled() == 1
    run.refresh_from_db()
    assert (run.status, run.resumes, run.created) == ("done", 1, 1)


@pytest.mark.django_db
def test_a_run_that_moved_on_recently_is_left_alone(tmp_path: Path) -> None:
    run = _queued_run(tmp_path)
    assert import_runs_resume_stalled() == 0
    run.refresh_from_db()
    assert (run.status, run.resumes) == ("queued", 0)


@pytest.mark.django_db
def test_a_run_resumed_too_often_fails_with_a_message(tmp_path: Path, settings: Any) -> None:
    run = _queued_run(tmp_path)
    ImportRun.objects.filter(pk=run.pk).update(
        progressed_at=timezone.now() - timedelta(hours=1), resumes=settings.IMPORT_RUN_MAX_RESUMES
    )
    assert import_runs_resume_stalled() == 0
    run.refresh_from_db()
    assert run.status == "failed"
    assert "made no progress for 660 s after being resumed 3 times" in run.message


def test_the_periodic_resume_is_in_the_beat_schedule_and_waits_past_the_visibility_timeout(
    settings: Any,
) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["import-runs-resume-stalled"]
    assert entry["task"] == "funding.tasks.import_runs_resume_stalled"
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["visibility_timeout"] <= 600
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= 10
    assert options["visibility_timeout"] < settings.IMPORT_RUN_STALLED_SECONDS

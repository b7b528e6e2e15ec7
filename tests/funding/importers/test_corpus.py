"""The malformed-input corpus (`corpus/build.py`): every good row in, every bad row
reported with its line and reason, nothing left behind, and a second import settles."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from companies.models import Company, Investor
from funding.models import ImportRun
from funding.record import CSV_COLUMNS
from tests.funding.importers.corpus.build import (
    CORPUS,
    HERE,
    ROUNDBOOK_COLUMNS,
    CorpusFile,
    written,
)


def location(item: CorpusFile) -> Path:
    return HERE / item.path


def run_import(path: Path) -> str:
    out = StringIO()
    call_command("import_rounds", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()[-1]


def test_the_committed_corpus_is_what_its_script_writes() -> None:
    # Every column of the corpus's roundbook CSVs is one the format writes, in its order.
    assert [c for c in CSV_COLUMNS if c in ROUNDBOOK_COLUMNS] == ROUNDBOOK_COLUMNS
    for item in CORPUS:
        for path, content in written(item).items():
            assert path.read_bytes() == content, f"run python -m {__package__}.corpus.build"


@pytest.mark.django_db
def test_the_corpus_imports_every_good_row_and_reports_every_bad_one_then_settles() -> None:
    for item in CORPUS:
        summary = run_import(location(item))
        assert summary == (
            f"created={item.created} updated=0 unchanged=0 failed={len(item.rejected)}"
        ), item.path
        run = ImportRun.objects.latest("pk")
        found = {e.line: e for e in run.row_errors.all()}
        assert {line for line, e in found.items() if e.rejected} == set(item.rejected), item.path
        assert {line for line, e in found.items() if not e.rejected} == set(item.warnings)
        for line, piece in {**item.rejected, **item.warnings}.items():
            assert piece in found[line].reason, (item.path, line, found[line].reason)
            assert found[line].raw, (item.path, line)
    # A rejected row leaves no company or investor behind.
    assert not Company.objects.filter(funding_rounds__isnull=True).exists()
    assert not Investor.objects.filter(participations__isnull=True).exists()
    assert not Company.objects.filter(name__contains="Orphan").exists()
    assert not Investor.objects.filter(name__contains="Orphan").exists()
    for item in CORPUS:
        summary = run_import(location(item))
        assert summary == (
            f"created=0 updated=0 unchanged={item.created} failed={len(item.rejected)}"
        ), item.path

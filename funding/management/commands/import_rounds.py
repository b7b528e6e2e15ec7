"""python manage.py import_rounds PATH_OR_URL [--format crunchbase|roundbook]"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from funding.imports import import_chunk_apply, import_run_create, import_run_prepare
from funding.models import ImportFormat, ImportRun
from funding.tasks import fewer_collections


class Command(BaseCommand):
    help = (
        "Import funding rounds from a CSV/JSONL file, a bulk-export folder, a .zip/.tar.gz "
        "of one, or an http(s) URL. Runs in this process; the last line is the summary "
        "created=N updated=N unchanged=N failed=N. Exit status 1 when the run failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("location", metavar="PATH_OR_URL")
        parser.add_argument(
            "--format",
            default="",
            choices=[c for c in ImportFormat.values if c],
            help="Default: detected from the header.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = import_run_create(
            location=options["location"],
            trigger=ImportRun.Trigger.COMMAND,
            format_name=options["format"],
        )
        with fewer_collections():
            import_run_prepare(run_id=run.pk)
            run.refresh_from_db()
            show_bar = sys.stderr.isatty() and options.get("verbosity", 1) > 0
            with tqdm(total=run.rows_total, unit="row", disable=not show_bar) as bar:
                for number in range(run.chunks_total):
                    import_chunk_apply(run_id=run.pk, number=number)
                    run.refresh_from_db()
                    bar.update(run.created + run.updated + run.unchanged + run.failed - bar.n)
        run.refresh_from_db()
        if run.status == ImportRun.Status.FAILED:
            self.stderr.write(f"Import failed: {run.message}")
        elif run.failed:
            self.stderr.write(f"{run.failed} rows rejected; see the admin, import run #{run.pk}.")
        self.stdout.write(run.summary)
        if run.status == ImportRun.Status.FAILED:
            raise SystemExit(1)

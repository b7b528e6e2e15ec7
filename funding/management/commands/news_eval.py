"""`manage.py news_eval [--corpus PATH] [--misses]`: precision and recall of the news
extractor per field, on the labelled corpus (tests/data/news/corpus.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from funding.news.evaluation import DEFAULT_CORPUS, evaluate, load


class Command(BaseCommand):
    help = "Print the news extractor's precision and recall per field on a labelled corpus."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
        parser.add_argument(
            "--misses", action="store_true", help="Also list every fact read wrong or missed."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = evaluate(load(options["corpus"]))
        self.stdout.write(result.table())
        if result.negatives_with_a_round:
            self.stdout.write("Stories with no round that yield one: ")
            self.stdout.write(", ".join(result.negatives_with_a_round))
        if options["misses"]:
            self.stdout.write("\n".join(["", *result.misses]))

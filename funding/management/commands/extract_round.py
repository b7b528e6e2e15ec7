"""`manage.py extract_round PATH_OR_URL [--format article|feed]`: the rounds a story reports,
as JSON on standard output. Reads the database (to print names as Roundbook knows them);
never writes to it."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from funding.importers.fetch import FetchError
from funding.news.extraction import extract
from funding.news.names import NameResolver
from funding.news.reading import ReadError, read_article, read_feed


@contextmanager
def _logs_to_stderr() -> Iterator[None]:
    """Standard output is the JSON alone: log lines go to standard error meanwhile."""
    moved = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout
    ]
    for handler in moved:
        handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for handler in moved:
            handler.setStream(sys.stdout)


class Command(BaseCommand):
    help = "Print, as JSON, the funding rounds a news article or feed reports (writes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="An http(s) URL, a saved .html page or a .txt file.")
        parser.add_argument(
            "--format",
            choices=["article", "feed"],
            default="article",
            help="article (default): one story; feed: every entry of an RSS or Atom feed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with _logs_to_stderr():
            self._extract(options)

    def _extract(self, options: dict[str, Any]) -> None:
        source: str = options["source"]
        try:
            stories = read_feed(source) if options["format"] == "feed" else [read_article(source)]
        except (ReadError, FetchError, OSError) as error:
            raise CommandError(str(error)) from None
        resolver = NameResolver.from_database()
        rounds = [
            found.to_json()
            for story in stories
            for found in extract(
                story.text,
                title=story.title,
                published_on=story.published_on,
                source_url=story.url,
                resolver=resolver,
            )
        ]
        self.stdout.write(orjson.dumps(rounds, option=orjson.OPT_INDENT_2).decode())

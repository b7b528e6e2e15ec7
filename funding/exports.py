"""Rounds as a streamed roundbook CSV download: the one helper the pages and the API use."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from funding.models import FundingRound
from funding.roundbook_format import csv_rows, round_records


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def rounds_csv_response(rounds: QuerySet[FundingRound], filename: str) -> StreamingHttpResponse:
    """The rounds as roundbook CSV, streamed: one query, read 2,000 rounds at a time."""
    writer = csv.writer(_Echo())
    lines: Iterator[str] = (writer.writerow(row) for row in csv_rows(round_records(rounds)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

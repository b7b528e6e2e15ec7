"""Arbitrary bytes given to each reader give rows and errors, never an exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funding.importers import IMPORTERS, NotTheFormatError, RoundRow, RowError
from funding.importers.files import FileBundle
from tests.funding.importers.layouts import UI_HEADER, V2_ROUNDS, V4_ROUNDS

HEADERS = [
    ",".join(V4_ROUNDS).encode(),
    ",".join(V2_ROUNDS).encode(),
    ",".join(UI_HEADER).encode(),
    b"id,company,company_name,stage,announced_on,amount,currency",
    b'{"company": "x", "stage": "seed", "announced_on": "2024-01-01"}',
]


def read_everything(content: bytes) -> list[RoundRow | RowError]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "funding_rounds.csv"
        path.write_bytes(content)
        bundle = FileBundle(path)
        items: list[RoundRow | RowError] = []
        for importer in IMPORTERS.values():
            try:
                if importer.detect(bundle):
                    items.extend(importer.read(bundle))
            except NotTheFormatError:
                pass
        return items


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.sampled_from(HEADERS), body=st.binary(max_size=600))
def test_each_reader_turns_arbitrary_bytes_into_rows_and_errors(header: bytes, body: bytes) -> None:
    for item in read_everything(header + b"\n" + body):
        assert isinstance(item, RoundRow | RowError)
        if isinstance(item, RowError):
            assert item.reasons


@settings(max_examples=60, deadline=None)
@given(
    header=st.sampled_from(HEADERS),
    cells=st.lists(st.text(max_size=30), min_size=1, max_size=30),
)
def test_each_reader_handles_arbitrary_text_cells(header: bytes, cells: list[str]) -> None:
    line = ",".join('"' + c.replace('"', '""') + '"' for c in cells)
    for item in read_everything(header + b"\n" + line.encode("utf-8", "surrogatepass")):
        assert isinstance(item, RoundRow | RowError)

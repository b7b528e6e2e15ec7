"""Writing a chunk's plan: handed whole to the bulk service (`funding.services.bulk`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from funding.services import PlannedWrites, rounds_write_planned

if TYPE_CHECKING:
    from funding.imports.matching import Chunk


def write(chunk: Chunk) -> None:
    """The chunk's plan, written by the bulk service."""
    rounds_write_planned(
        planned=PlannedWrites(
            drafts=chunk.drafts,
            draft_keys=chunk.draft_keys,
            changed=chunk.changed,
            participations=chunk.participations,
            sources=chunk.sources,
            new_keys=chunk.new_keys,
        )
    )

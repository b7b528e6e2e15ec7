"""Every write to rounds, their participations and sources, and exchange rates.

The admin, the API, the importers and the management commands all write
through these functions: money derivation, validation, history and the
figures cache (`rounds_changed`) happen the same way whatever the entry point.
`rounds` writes one round at a time; `bulk` writes what an import planned,
validated by the same checks; `money` converts to US dollars.
"""

from funding.services.bulk import (
    PlannedWrites,
    RoundDraft,
    round_draft_prepare,
    rounds_insert_prepared,
    rounds_write_planned,
)
from funding.services.money import (
    CENTS,
    RateCache,
    exchange_rate_on,
    exchange_rate_save,
    round_derive_money,
    rounds_reconvert,
)
from funding.services.rounds import (
    ParticipationSpec,
    RoundFields,
    RoundOptionalFields,
    SourceSpec,
    investor_merge,
    round_change,
    round_create,
    round_delete,
    round_prepare,
    round_save,
    round_set_participations,
    round_set_sources,
    round_update,
    round_validate,
    rounds_delete,
)

__all__ = [
    "CENTS",
    "ParticipationSpec",
    "PlannedWrites",
    "RateCache",
    "RoundDraft",
    "RoundFields",
    "RoundOptionalFields",
    "SourceSpec",
    "exchange_rate_on",
    "exchange_rate_save",
    "investor_merge",
    "round_change",
    "round_create",
    "round_delete",
    "round_derive_money",
    "round_draft_prepare",
    "round_prepare",
    "round_save",
    "round_set_participations",
    "round_set_sources",
    "round_update",
    "round_validate",
    "rounds_delete",
    "rounds_insert_prepared",
    "rounds_reconvert",
    "rounds_write_planned",
]

"""Many rounds at once, for the importers: the same checks as one round, written in bulk.

`round_draft_prepare` validates a new round with its investors and sources in
memory; `rounds_write_planned` writes what an import chunk planned (new
rounds, changed rounds, the investors, sources and keys they gain) in a fixed
number of statements whatever the chunk's size (COPY and `INSERT ... ON
CONFLICT` on PostgreSQL, through `config.db`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, models

from config.db import bulk_insert, bulk_insert_children, bulk_save, bulk_upsert
from funding.models import FundingRound, Participation, RoundKey, Source
from funding.services.money import RateCache
from funding.services.rounds import (
    ParticipationSpec,
    SourceSpec,
    check_unique_investors,
    round_prepare,
)
from funding.versions import rounds_changed


@dataclass
class RoundDraft:
    """A new round with its investors and sources, validated by `round_draft_prepare`."""

    funding_round: FundingRound
    investors: Sequence[ParticipationSpec] = ()
    sources: Sequence[SourceSpec] = ()


def round_draft_prepare(*, draft: RoundDraft, rates: RateCache | None = None) -> None:
    """Derive and validate a new round, its participations and sources, in memory.

    The same derivation and checks as `round_create`, with no query except the
    exchange-rate lookups of `round_derive_money` (shared through `rates`; the
    company and investors come from the database); ValidationError when invalid.
    """
    round_prepare(funding_round=draft.funding_round, relations_checked=True, rates=rates)
    check_unique_investors(draft.investors)
    participation_amount = Participation._meta.get_field("amount")
    for spec in draft.investors:
        # What Participation.full_clean checks, without building one per investor.
        if spec.amount is not None:
            try:
                participation_amount.clean(spec.amount, None)
            except ValidationError as error:
                raise ValidationError({"investors": error.messages}) from error
            if spec.amount < 0:
                raise ValidationError({"investors": "An investor's amount cannot be negative."})
    if len({s.url for s in draft.sources}) != len(draft.sources):
        raise ValidationError({"sources": "A source URL is listed twice."})
    for source in draft.sources:
        # Source.full_clean's field checks, without building a Source per citation.
        errors: dict[str, list[str]] = {}
        for name in ("url", "title", "publisher", "published_on"):
            field = Source._meta.get_field(name)
            assert isinstance(field, models.Field)
            try:
                field.clean(getattr(source, name), None)
            except ValidationError as error:
                errors[name] = error.messages
        if errors:
            raise ValidationError(errors)


def rounds_insert_prepared(*, drafts: Sequence[RoundDraft]) -> list[FundingRound]:
    """Insert drafts that passed `round_draft_prepare`, with their history, in bulk.

    A few statements per chunk (COPY on PostgreSQL) instead of several per
    round; the database enforces every constraint again.
    """
    if not drafts:
        return []
    rounds = bulk_insert(FundingRound, [d.funding_round for d in drafts])
    bulk_insert_children(
        Participation,
        [
            (r.pk, s.investor.pk, s.is_lead, s.amount)
            for r, d in zip(rounds, drafts, strict=True)
            for s in d.investors
        ],
        columns=["round_id", "investor_id", "is_lead", "amount"],
        parent_column="round_id",
    )
    bulk_insert_children(
        Source,
        [
            (r.pk, s.url, s.title, s.publisher, s.published_on)
            for r, d in zip(rounds, drafts, strict=True)
            for s in d.sources
        ],
        columns=["round_id", "url", "title", "publisher", "published_on"],
        parent_column="round_id",
    )
    rounds_changed()
    return rounds


@dataclass
class PlannedWrites:
    """What an import chunk changes, planned and validated row by row."""

    drafts: list[RoundDraft] = field(default_factory=list)
    # id(draft round) -> its keys: the row's own first, then its near-duplicates'
    draft_keys: dict[int, list[str]] = field(default_factory=dict)
    changed: dict[int, FundingRound] = field(default_factory=dict)  # rounds whose fields change
    # (round, investor) -> (lead, amount) that existing rounds gain or change
    participations: dict[tuple[int, int], tuple[bool, Decimal | None]] = field(default_factory=dict)
    # round -> url -> source, for the sources existing rounds gain or change
    sources: dict[int, dict[str, SourceSpec]] = field(default_factory=dict)
    new_keys: dict[str, int] = field(default_factory=dict)  # key -> existing round it now names


def rounds_write_planned(*, planned: PlannedWrites) -> None:
    """Write a chunk's plan in bulk: a fixed number of statements whatever its size.

    New rounds (with their investors, sources and keys) are copied in; changed
    rounds, the investors and sources existing rounds gain, and the keys
    existing rounds gain go through `bulk_upsert` (staged, then `INSERT ... ON
    CONFLICT` on PostgreSQL). Everything was validated while planning.
    """
    created = rounds_insert_prepared(drafts=planned.drafts)
    bulk_save(FundingRound, list(planned.changed.values()))
    bulk_upsert(
        Participation,
        [(r, i, lead, amount) for (r, i), (lead, amount) in planned.participations.items()],
        columns=["round_id", "investor_id", "is_lead", "amount"],
        conflict=["round_id", "investor_id"],
        update=["is_lead", "amount"],
    )
    bulk_upsert(
        Source,
        [
            (pk, s.url, s.title, s.publisher, s.published_on)
            for pk, by_url in planned.sources.items()
            for s in by_url.values()
        ],
        columns=["round_id", "url", "title", "publisher", "published_on"],
        conflict=["round_id", "url"],
        update=["title", "publisher", "published_on"],
    )
    # A new round's keys were looked up while planning: copied in. Another run storing
    # the same key meanwhile fails the chunk, whose retry then finds the key's round.
    bulk_insert_children(
        RoundKey,
        [
            (key, funding_round.pk, position > 0)
            for draft, funding_round in zip(planned.drafts, created, strict=True)
            for position, key in enumerate(planned.draft_keys.get(id(draft.funding_round), []))
        ],
        columns=["key", "round_id", "merged"],
        parent_column="round_id",
        history=False,
    )
    bulk_upsert(
        RoundKey,
        [(key, round_id, True) for key, round_id in planned.new_keys.items()],
        columns=["key", "round_id", "merged"],
        conflict=["key"],
        history=False,
    )
    if connection.vendor == "postgresql":
        # The foreign keys are checked at commit; checked here, they count as writing time.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if planned.changed or planned.participations or any(planned.sources.values()):
        rounds_changed()  # figures cached from the rounds are stale (new rounds: done above)

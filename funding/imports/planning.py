"""Planning a chunk: each row becomes a new round (validated as a draft), a change to a
stored round, or nothing; then the plan is written in bulk (`writing`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from companies.links import WEB_URL_MESSAGE, is_web_url
from funding.importers import RoundRow
from funding.imports.matching import (
    DUPLICATE_AMOUNT_SHARE,
    DUPLICATE_DAYS,
    Chunk,
    Nearby,
    reasons,
)
from funding.imports.reading import row_error
from funding.imports.writing import write
from funding.models import FundingRound, ImportRowError, ImportRun, RoundStatus
from funding.services import (
    ParticipationSpec,
    RoundDraft,
    SourceSpec,
    round_change,
    round_draft_prepare,
)


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[ImportRowError] = field(default_factory=list)
    db_seconds: float = 0.0


def apply_rows(run: ImportRun, rows: list[RoundRow]) -> _Counts:
    counts = _Counts()
    chunk = Chunk(rows)
    seen: set[str] = set()
    for row in rows:
        if row.key and row.key in seen:
            counts.unchanged += 1  # a row repeated within the file
            continue
        try:
            outcome = _apply_row(row, chunk)
        except ValidationError as error:
            counts.failed += 1
            counts.errors.append(row_error(run, row.line, row.raw, reasons(error)))
            continue
        seen.add(row.key)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        if row.warnings:
            counts.errors.append(row_error(run, row.line, row.raw, row.warnings, rejected=False))
    started = time.perf_counter()
    chunk.insert_pending()
    write(chunk)
    counts.db_seconds = time.perf_counter() - started
    return counts


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _row_fields(row: RoundRow) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "announced_on_precision": row.precision,
        "amount": _money(row.amount),
        "currency": row.currency,
        "amount_usd_published": _money(row.amount_usd_published),
        "pre_money_valuation": _money(row.pre_money_valuation),
        "post_money_valuation": _money(row.post_money_valuation),
        "notes": row.notes,
        "status": row.status,
    }
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _apply_row(row: RoundRow, chunk: Chunk) -> str:
    """Plan a new round, or update or leave one; returns "created", "updated" or "unchanged"."""
    company_id = chunk.company_id(row)
    announced_on = date.fromisoformat(row.announced_on)
    investors = _participations(row, chunk, company_id)
    fields = _row_fields(row)
    target, own = _existing_round(row, company_id, announced_on, chunk)
    if target is not None and target.pk is None:  # a likely duplicate of a round this chunk adds
        _merge_into_draft(chunk.draft_of[id(target)], row, fields, investors, chunk)
        if row.key:
            chunk.draft_keys[id(target)].append(row.key)
        return "unchanged"
    if target is None:
        nearby = chunk.by_stage.setdefault((company_id, row.stage), [])
        if any(_within_days(r.announced_on, announced_on) for r in nearby):
            fields["status"] = RoundStatus.NEEDS_REVIEW
        funding_round = FundingRound(
            company_id=company_id, stage=row.stage, announced_on=announced_on, **fields
        )
        draft = RoundDraft(
            funding_round=funding_round,
            investors=investors,
            sources=list(_source_changes(row, {}).values()),
        )
        round_draft_prepare(draft=draft, rates=chunk.rates)
        chunk.drafts.append(draft)
        chunk.draft_keys[id(funding_round)] = [row.key] if row.key else []
        chunk.draft_of[id(funding_round)] = draft
        nearby.append(
            Nearby(None, announced_on, funding_round.amount, funding_round.currency, funding_round)
        )
        return "created"
    return _update(
        row,
        target=target,
        fields=fields,
        investors=investors,
        announced_on=announced_on,
        chunk=chunk,
        own=own,
    )


# Only a round's own record restates these; another source's row never does.
_OWN_RECORD_ONLY = frozenset({"status", "announced_on_precision"})


def _merge_into_draft(
    draft: RoundDraft,
    row: RoundRow,
    fields: dict[str, Any],
    investors: list[ParticipationSpec],
    chunk: Chunk,
) -> None:
    """Another source's row for a round this chunk adds: it fills what the round lacks.

    Its investors and sources join the round (a lead stays a lead), and its
    figures fill only the empty fields, as it would for a stored round, so the
    next import of the same file finds nothing to write. ValidationError (the
    draft left as it was) when the filled round would be invalid.
    """
    funding_round = draft.funding_round
    fill = {
        k: v
        for k, v in fields.items()
        if k not in _OWN_RECORD_ONLY and getattr(funding_round, k) in (None, "")
    }
    participations = {spec.investor.pk: spec for spec in draft.investors}
    for spec in investors:
        current = participations.get(spec.investor.pk)
        if current is None:
            participations[spec.investor.pk] = spec
        elif spec.is_lead and not current.is_lead:
            participations[spec.investor.pk] = replace(current, is_lead=True)
    urls = {source.url for source in draft.sources}
    sources = [
        *draft.sources,
        *(spec for url, spec in _source_changes(row, {}).items() if url not in urls),
    ]
    merged = RoundDraft(
        funding_round=funding_round, investors=list(participations.values()), sources=sources
    )
    before = {k: getattr(funding_round, k) for k in fill}
    for name, value in fill.items():
        setattr(funding_round, name, value)
    try:
        round_draft_prepare(draft=merged, rates=chunk.rates)
    except ValidationError:
        for name, value in before.items():
            setattr(funding_round, name, value)
        round_draft_prepare(draft=draft, rates=chunk.rates)  # its derived figures again
        raise
    draft.investors, draft.sources = merged.investors, merged.sources


def _update(
    row: RoundRow,
    *,
    target: FundingRound,
    fields: dict[str, Any],
    investors: list[ParticipationSpec],
    announced_on: date,
    chunk: Chunk,
    own: bool,
) -> str:
    """Plan the changes a row brings to an existing round; "updated" or "unchanged".

    `own`: the row is the round's own record (its id, or the key it was created
    from), which corrects its figures. A near-duplicate (another source's row
    merged into the round, now or by an earlier run) only fills what the round
    lacks, so the round's figures do not swing between the two at each import.
    """
    if own:
        changes = {k: v for k, v in fields.items() if getattr(target, k) != v}
    else:
        changes = {k: v for k, v in fields.items() if getattr(target, k) in (None, "")}
    if row.round_id is None or target.pk != row.round_id:
        # Only the round's own record restates its status and date precision; another
        # source's row never overrides a reviewed status.
        changes.pop("status", None)
        changes.pop("announced_on_precision", None)
    elif target.announced_on != announced_on:
        changes["announced_on"] = announced_on
    if own and target.stage != row.stage:
        changes["stage"] = row.stage
    participations = _investor_changes(target, investors, chunk)
    sources = _source_changes(row, _sources_of(target, chunk))
    if changes:  # validated now; the round is left as it was if refused
        round_change(
            funding_round=target,
            fields=changes,  # type: ignore[arg-type]
            relations_checked=True,
            rates=chunk.rates,
        )
        chunk.changed[target.pk] = target
    chunk.participations.update(participations)
    chunk.sources.setdefault(target.pk, {}).update(sources)
    if row.key and row.round_id != target.pk and row.key not in chunk.known_keys:
        chunk.new_keys[row.key] = chunk.known_keys[row.key] = target.pk
        chunk.merged_keys.add(row.key)
    return "updated" if changes or participations or sources else "unchanged"


def _existing_round(
    row: RoundRow, company_id: int, announced_on: date, chunk: Chunk
) -> tuple[FundingRound | None, bool]:
    """The round this row is (by origin id, external key, or as a certain duplicate), and own.

    Own: the row is the round's record (its id, or the key it was created from)
    rather than a near-duplicate merged into it. A certain duplicate may be a
    round planned earlier in this chunk (no pk yet).
    """
    if row.round_id is not None:
        found = chunk.rounds.get(row.round_id)
        if found is not None and found.company_id == company_id:
            return found, True
    if row.key in chunk.known_keys:
        return chunk.rounds[chunk.known_keys[row.key]], row.key not in chunk.merged_keys
    amount = _money(row.amount)
    for candidate in chunk.by_stage.get((company_id, row.stage), []):
        if _within_days(candidate.announced_on, announced_on) and _amounts_close(
            candidate.amount, amount, candidate.currency, row.currency
        ):
            if candidate.planned is not None:
                return candidate.planned, False
            assert candidate.pk is not None
            return chunk.full_round(candidate.pk), False
    return None, False


def _within_days(a: date, b: date) -> bool:
    return abs((a - b).days) <= DUPLICATE_DAYS


def _amounts_close(a: Decimal | None, b: Decimal | None, currency_a: str, currency_b: str) -> bool:
    if a is None or b is None or currency_a != currency_b:
        return False
    return abs(a - b) <= DUPLICATE_AMOUNT_SHARE * max(a, b)


def _participations(row: RoundRow, chunk: Chunk, company_id: int) -> list[ParticipationSpec]:
    specs: dict[int, ParticipationSpec] = {}
    for item in row.investors:
        investor = chunk.investor(str(item["name"]), str(item.get("slug") or ""))
        if investor.company_id == company_id:
            raise ValidationError({"investors": f"{investor} is the company raising this round."})
        lead = bool(item.get("is_lead")) or (investor.pk in specs and specs[investor.pk].is_lead)
        specs[investor.pk] = ParticipationSpec(investor=investor, is_lead=lead)
    return list(specs.values())


def _investor_changes(
    funding_round: FundingRound, incoming: list[ParticipationSpec], chunk: Chunk
) -> dict[tuple[int, int], tuple[bool, Decimal | None]]:
    """The participations to write so the round has the row's investors (lead if either says so).

    Never removes an investor: the round's own (stored) and those planned
    earlier in the chunk stay.
    """
    stored = chunk.stored_investors.get(funding_round.pk, {})
    writes: dict[tuple[int, int], tuple[bool, Decimal | None]] = {}
    for spec in incoming:
        key = (funding_round.pk, spec.investor.pk)
        current = chunk.participations.get(key) or stored.get(spec.investor.pk)
        if current is None:
            writes[key] = (spec.is_lead, spec.amount)
        elif spec.is_lead and not current[0]:
            writes[key] = (True, current[1])
    return writes


def _sources_of(funding_round: FundingRound, chunk: Chunk) -> dict[str, SourceSpec]:
    """The round's sources by URL: stored and planned earlier in the chunk."""
    return chunk.stored_sources.get(funding_round.pk, {}) | chunk.sources.get(funding_round.pk, {})


def _source_changes(row: RoundRow, existing: dict[str, SourceSpec]) -> dict[str, SourceSpec]:
    """The row's sources that are new or say more than `existing`, by URL.

    A title or publisher the row leaves out (None) keeps the stored one.
    """
    changes: dict[str, SourceSpec] = {}
    for item in row.sources:
        url = str(item["url"])
        if not is_web_url(url):  # the importers refuse it first; nothing writes around the rule
            raise ValidationError({"sources": WEB_URL_MESSAGE})
        current = existing.get(url)
        published = item.get("published_on")
        spec = SourceSpec(
            url=url,
            title=item["title"]
            if item.get("title") is not None
            else (current.title if current else ""),
            publisher=item["publisher"]
            if item.get("publisher") is not None
            else (current.publisher if current else ""),
            published_on=date.fromisoformat(published)
            if published
            else (current.published_on if current and item.get("title") is None else None),
        )
        if current != spec:
            changes[url] = spec
    return changes

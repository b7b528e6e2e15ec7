"""Matching a chunk's rows to what is stored: companies and investors (new ones validated,
inserted only if a row that names them passes), the rounds the rows name, and the
rounds they may duplicate. A fixed number of queries per chunk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection

from companies.models import Company, Investor
from companies.names import match_key
from companies.services import OrganizationIndex
from funding.importers import RoundRow
from funding.models import FundingRound, Participation, RoundKey, Source
from funding.services import RateCache, RoundDraft, SourceSpec

DUPLICATE_DAYS = 30
DUPLICATE_AMOUNT_SHARE = Decimal("0.05")


@dataclass(slots=True)
class Nearby:
    """A round as duplicate detection compares it: stored (pk) or planned in this chunk."""

    pk: int | None
    announced_on: date
    amount: Decimal | None
    currency: str
    planned: FundingRound | None = None


class Chunk:
    """What one chunk's rows refer to, looked up with a fixed number of queries.

    Companies and investors are matched through `OrganizationIndex` (one
    query each) and the missing ones created in bulk; the rounds the rows
    name (by origin id or external key) are loaded with their investors and
    sources (as values); the stored rounds a row may duplicate (same company
    and stage, within DUPLICATE_DAYS) are read for duplicate detection, and
    loaded in full when one is.
    """

    def __init__(self, rows: list[RoundRow]) -> None:
        self.company_index = OrganizationIndex.current(Company)
        self.company_ids, self.company_errors, self.pending_companies = _organizations(
            self.company_index, [(r.company_slug, r.company, r.company_fields) for r in rows]
        )
        investor_refs: list[tuple[str, str, dict[str, str]]] = [
            (str(i.get("slug") or ""), str(i["name"]), {}) for r in rows for i in r.investors
        ]
        self.investor_index = investor_index = OrganizationIndex.current(Investor)
        investor_ids, self.investor_errors, self.pending_investors = _organizations(
            investor_index, investor_refs
        )
        # Only what a participation needs: its pk, the company (self-investment) and the name.
        self.investors = investor_index.in_bulk(
            (pk for pk in investor_ids.values() if pk and pk > 0),
            fields=("pk", "name", "company_id"),
        )
        self.investors.update(self.pending_investors)
        self.investor_ids = investor_ids
        # key -> round; the keys a near-duplicate brought (merged into another source's round)
        self.known_keys, self.merged_keys = _rounds_by_key({r.key for r in rows if r.key})
        # The rounds the rows name, with their stored investors (investor -> lead, amount)
        # and sources (url -> source) as plain values.
        self.rounds: dict[int, FundingRound] = {}
        self.stored_investors: dict[int, dict[int, tuple[bool, Decimal | None]]] = {}
        self.stored_sources: dict[int, dict[str, SourceSpec]] = {}
        self._load_rounds({*self.known_keys.values(), *(r.round_id for r in rows if r.round_id)})
        # (company, stage) -> rounds as duplicate detection compares them, existing and planned
        self.by_stage: dict[tuple[int, str], list[Nearby]] = {}
        for pk, company_id, stage, announced_on, amount, currency in _nearby_rounds(
            {
                (company_id, r.stage, r.announced_on)
                for r in rows
                if (company_id := self.company_ids.get((r.company_slug, r.company)) or 0) > 0
            }
        ):
            self.by_stage.setdefault((company_id, stage), []).append(
                Nearby(pk, announced_on, amount, currency)
            )
        self.rates: RateCache = {}
        self.drafts: list[RoundDraft] = []
        # id(draft round) -> its keys: the row's own first, then its near-duplicates'
        self.draft_keys: dict[int, list[str]] = {}
        self.draft_of: dict[int, RoundDraft] = {}  # id(draft round) -> its draft
        # What changes in existing rounds, written in bulk by `_write`:
        self.changed: dict[int, FundingRound] = {}  # rounds whose own fields change
        # (round, investor) -> (lead, amount); round -> url -> source; key -> round
        self.participations: dict[tuple[int, int], tuple[bool, Decimal | None]] = {}
        self.sources: dict[int, dict[str, SourceSpec]] = {}
        self.new_keys: dict[str, int] = {}

    def _load_rounds(self, pks: set[int]) -> None:
        """Rounds, and their investors and sources as values (no model each): three queries."""
        if not pks:
            return
        self.rounds.update(FundingRound.objects.in_bulk(pks))
        participations = Participation.objects.filter(round_id__in=pks).order_by()
        for round_id, investor_id, is_lead, amount in participations.values_list(
            "round_id", "investor_id", "is_lead", "amount"
        ):
            self.stored_investors.setdefault(round_id, {})[investor_id] = (is_lead, amount)
        sources = Source.objects.filter(round_id__in=pks).order_by()
        for round_id, url, title, publisher, published_on in sources.values_list(
            "round_id", "url", "title", "publisher", "published_on"
        ):
            self.stored_sources.setdefault(round_id, {})[url] = SourceSpec(
                url=url, title=title, publisher=publisher, published_on=published_on
            )

    def insert_pending(self) -> None:
        """Insert the new companies and investors the planned writes name, and point them there.

        Called once every row is planned: organisations named only by refused
        rows are never written.
        """
        companies = _insert_used(
            self.company_index,
            self.pending_companies,
            {d.funding_round.company_id for d in self.drafts},
        )
        for draft in self.drafts:
            if draft.funding_round.company_id in companies:
                draft.funding_round.company_id = companies[draft.funding_round.company_id]
        investors = _insert_used(
            self.investor_index,
            self.pending_investors,
            {s.investor.pk for d in self.drafts for s in d.investors}
            | {investor for _, investor in self.participations},
        )
        if investors:  # the participations existing rounds gain, under the inserted pks
            self.participations = {
                (round_id, investors.get(investor, investor)): value
                for (round_id, investor), value in self.participations.items()
            }

    def full_round(self, pk: int) -> FundingRound:
        if pk not in self.rounds:
            self._load_rounds({pk})
        return self.rounds[pk]

    def company_id(self, row: RoundRow) -> int:
        ref = (row.company_slug, row.company)
        pk = self.company_ids.get(ref)
        if pk is None:
            raise self.company_errors.get(ref) or ValidationError(
                {"company": "could not be matched or created"}
            )
        return pk

    def investor(self, name: str, slug: str) -> Investor:
        pk = self.investor_ids.get((slug, name))
        if pk is None:
            error = self.investor_errors.get((slug, name))
            raise ValidationError({"investors": f"{name[:100]}: {reasons(error) if error else ''}"})
        return self.investors[pk]


def _rounds_by_key(keys: set[str]) -> tuple[dict[str, int], set[str]]:
    """key -> round of the keys already stored, and which were merged; one query.

    An array parameter, not thousands of parameters.
    """
    if not keys:
        return {}, set()
    if connection.vendor != "postgresql":
        found = list(RoundKey.objects.filter(key__in=keys).values_list("key", "round_id", "merged"))
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT key, round_id, merged FROM funding_roundkey WHERE key = ANY(%s)",
                [list(keys)],
            )
            found = cursor.fetchall()
    return {key: pk for key, pk, _ in found}, {key for key, _, merged in found if merged}


def _nearby_rounds(wanted: set[tuple[int, str, str]]) -> list[tuple[Any, ...]]:
    """The stored rounds a row (company, stage, ISO date) may duplicate, newest first.

    On PostgreSQL only those within DUPLICATE_DAYS of a row's date are read,
    through the (company, date) index; elsewhere every round of the companies
    and stages.
    """
    if not wanted:
        return []
    columns = ("pk", "company_id", "stage", "announced_on", "amount", "currency")
    if connection.vendor != "postgresql":
        return list(
            FundingRound.objects.filter(
                company_id__in={c for c, _, _ in wanted}, stage__in={s for _, s, _ in wanted}
            ).values_list(*columns)
        )
    companies, stages, days = zip(*wanted, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT r.id, r.company_id, r.stage, r.announced_on, r.amount, r.currency "
            "FROM unnest(%s::bigint[], %s::text[], %s::date[]) AS x (company_id, stage, day) "
            "JOIN funding_fundinground r ON r.company_id = x.company_id AND r.stage = x.stage "
            "AND r.announced_on BETWEEN x.day - %s AND x.day + %s "
            "ORDER BY r.announced_on DESC, r.id DESC",
            [list(companies), list(stages), list(days), DUPLICATE_DAYS, DUPLICATE_DAYS],
        )
        return cursor.fetchall()


def _organizations[O: (Company, Investor)](
    index: OrganizationIndex[O], refs: list[tuple[str, str, dict[str, str]]]
) -> tuple[dict[tuple[str, str], int | None], dict[tuple[str, str], ValidationError], dict[int, O]]:
    """(slug, name) -> pk for each reference; the unknown ones validated, not yet written.

    An unknown organisation gets a provisional (negative) pk and is returned
    among the pending ones (provisional pk -> instance): it is inserted only if
    a row that names it passes (`_Chunk.insert_pending`), so a refused row
    leaves no company or investor behind.
    """
    model = index.model
    found: dict[tuple[str, str], int | None] = {}
    new: dict[str, tuple[tuple[str, str], O]] = {}  # by match key: one per name
    waiting: dict[str, list[tuple[str, str]]] = {}
    seen: set[tuple[str, str]] = set()
    for slug, name, fields in refs:
        ref = (slug, name)
        if ref in seen:
            continue
        seen.add(ref)
        pk = (index.pk_of_slug(slug) if slug else None) or index.match(name)
        if pk is not None:
            found[ref] = pk
            continue
        key = match_key(name) or name
        if key not in new:
            new[key] = (ref, model(name=name, **{k: v for k, v in fields.items() if v}))
        waiting.setdefault(key, []).append(ref)
    keys = list(new)
    refused = index.validate_many([new[k][1] for k in keys])
    errors: dict[tuple[str, str], ValidationError] = {}
    pending: dict[int, O] = {}
    for position, key in enumerate(keys):
        organization = new[key][1]
        if position not in refused:
            organization.pk = -(len(pending) + 1)
            pending[organization.pk] = organization
        for ref in waiting[key]:
            if position in refused:
                found[ref] = None
                errors[ref] = refused[position]
            else:
                found[ref] = organization.pk
    return found, errors, pending


def _insert_used[O: (Company, Investor)](
    index: OrganizationIndex[O], pending: dict[int, O], used: set[int]
) -> dict[int, int]:
    """Insert the pending organisations whose provisional pk is in `used`; provisional -> pk."""
    wanted = [o for provisional, o in pending.items() if provisional in used]
    unused = [o for provisional, o in pending.items() if provisional not in used]
    provisional = [o.pk for o in wanted]
    for organization in wanted:
        organization.pk = None
    index.insert_many(wanted, unused=unused)
    return {old: o.pk for old, o in zip(provisional, wanted, strict=True)}


def reasons(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {
            name: " ".join(str(m) for m in messages)
            for name, messages in error.message_dict.items()
        }
    return {"row": " ".join(error.messages)}

"""Import runs: read a file into chunks, then apply each chunk in one transaction.

`import_run_prepare` streams the file through its importer and stores the
parsed rows as `ImportChunk`s (and each unreadable row as an
`ImportRowError`); `import_chunk_apply` applies one chunk through the round
services. Each step is idempotent, so a task that is delivered twice, or
re-run after its worker died, changes nothing the second time: a chunk is
marked applied in the same transaction that applies it, and the chunks of a
run are applied one at a time (the run row is locked) so two chunks never
create the same company twice.

Matching a row to a round, in order: the round the record came from (a
Roundbook export's id, same company); a round that carries the row's
external key; a likely duplicate (same company and stage, announced within
30 days, amounts within 5%), which is updated. A round of the same company
and stage within 30 days whose amount differs more, or is unknown on one
side, is not certain: the row is created with status `needs_review`. Imports
fill and correct fields; they never erase a known value or remove an investor
or a source.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model, Q
from django.utils import timezone

from companies.links import WEB_URL_MESSAGE, is_web_url
from companies.models import Company, Investor
from companies.names import match_key
from companies.services import OrganizationIndex
from config.db import build
from funding.importers import NotTheFormatError, RoundRow, RowError, importer_for
from funding.importers.base import MAX_RAW
from funding.importers.fetch import fetch_to_file
from funding.importers.files import ReadLimits, open_bundle
from funding.models import (
    FundingRound,
    ImportChunk,
    ImportRowError,
    ImportRun,
    ImportSource,
    Participation,
    RoundKey,
    RoundStatus,
    Source,
)
from funding.services import (
    ParticipationSpec,
    PlannedWrites,
    RateCache,
    RoundDraft,
    SourceSpec,
    round_change,
    round_draft_prepare,
    rounds_write_planned,
)

logger = logging.getLogger(__name__)

DUPLICATE_DAYS = 30
DUPLICATE_AMOUNT_SHARE = Decimal("0.05")


# --- Runs -----------------------------------------------------------------------

# Python's cyclic garbage collector while an import reads or applies a chunk: see below.
IMPORT_GC_THRESHOLD = (100_000, 50, 1000)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely meanwhile (reference counting frees the rest).

    An import allocates millions of short-lived objects and almost no cycles.
    At Python's default thresholds the collector runs every 700 allocations
    and, now and then, walks every live object (the name indexes, the chunk
    in hand): a fifth of an import's CPU time. Restored afterwards.
    """
    previous = gc.get_threshold()
    gc.set_threshold(*IMPORT_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def import_run_create(
    *,
    location: str,
    trigger: str,
    format_name: str = "",
    started_by: Any = None,
    source: ImportSource | None = None,
) -> ImportRun:
    run = ImportRun(
        location=location,
        trigger=trigger,
        format=format_name,
        started_by=started_by,
        source=source,
    )
    run.full_clean()
    run.save()
    return run


def _local_path(location: str) -> tuple[Path, bool]:
    """The file to read and whether it is a temporary download to delete afterwards."""
    if location.startswith(("http://", "https://")):
        return fetch_to_file(
            location,
            max_bytes=settings.IMPORT_MAX_BYTES,
            timeout=settings.IMPORT_FETCH_TIMEOUT,
            deadline=settings.IMPORT_FETCH_DEADLINE,
        ), True
    if "://" in location:
        raise NotTheFormatError(f"Only files and http(s) URLs can be imported, not {location}.")
    return Path(location), False


def import_run_prepare(*, run_id: int, enqueue: Callable[[int, int], None] | None = None) -> None:
    """Read the run's file into chunks and mark the run running (or failed, changing nothing).

    `enqueue(run_id, number)` is called on commit for each chunk still to
    apply, also when the run was prepared before (a re-delivered task).
    """
    try:
        with transaction.atomic():
            run = ImportRun.objects.select_for_update().get(pk=run_id)
            if run.status == ImportRun.Status.QUEUED:
                run.started_at = timezone.now()
                started = time.perf_counter()
                with fewer_collections():
                    _read_into_chunks(run)
                run.read_seconds = time.perf_counter() - started
                run.status = ImportRun.Status.RUNNING if run.chunks_total else ImportRun.Status.DONE
                if not run.chunks_total:
                    run.finished_at = timezone.now()
                run.save()
            if enqueue is not None and run.status == ImportRun.Status.RUNNING:
                pending = list(
                    run.chunks.filter(applied=False)
                    .order_by("number")
                    .values_list("number", flat=True)
                )
                transaction.on_commit(lambda: [enqueue(run_id, n) for n in pending])
    except NotTheFormatError as error:  # nothing was stored: the transaction rolled back
        _run_fail(run_id=run_id, message=str(error))
    _forget_upload(run_id)


def _forget_upload(run_id: int) -> None:
    """An uploaded file is not needed once its rows are stored (or the run failed)."""
    run = ImportRun.objects.only("trigger", "location").get(pk=run_id)
    if run.trigger == ImportRun.Trigger.UPLOAD:
        path = Path(run.location)
        if path.parent == Path(settings.IMPORT_UPLOAD_DIR):
            path.unlink(missing_ok=True)


def _run_fail(*, run_id: int, message: str) -> None:
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportRun.Status.FAILED, message=message[:5000], finished_at=timezone.now()
    )
    logger.warning("import run failed", extra={"run": run_id, "reason": message[:500]})


def import_runs_stalled(*, idle_seconds: float) -> list[int]:
    """Queued or running runs that have not moved on for `idle_seconds`. One query."""
    cutoff = timezone.now() - timedelta(seconds=idle_seconds)
    return list(
        ImportRun.objects.filter(
            status__in=[ImportRun.Status.QUEUED, ImportRun.Status.RUNNING],
            progressed_at__lt=cutoff,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def import_run_resume(
    *,
    run_id: int,
    idle_seconds: float,
    max_resumes: int,
    enqueue_start: Callable[[int], None],
    enqueue_chunk: Callable[[int, int], None],
) -> str:
    """Resume a run that stopped moving on: "resumed", "failed" or "" (it moved, or is busy).

    Its task was lost (a worker died reading it and the broker forgot it, or
    Redis restarted without it): a queued run is read again (`enqueue_start`),
    a running one gets its unapplied chunks again (`enqueue_chunk`), on commit.
    A second delivery of either changes nothing. After `max_resumes` the run
    fails with a message; the rows already applied stay. A run whose row is
    locked is being worked on and is left alone.
    """
    cutoff = timezone.now() - timedelta(seconds=idle_seconds)
    with transaction.atomic():
        run = (
            ImportRun.objects.select_for_update(skip_locked=True)
            .filter(
                pk=run_id,
                status__in=[ImportRun.Status.QUEUED, ImportRun.Status.RUNNING],
                progressed_at__lt=cutoff,
            )
            .first()
        )
        if run is None:
            return ""
        if run.resumes >= max_resumes:
            _run_fail(
                run_id=run_id,
                message=f"The run made no progress for {idle_seconds:g} s after being resumed "
                f"{run.resumes} times (its worker or task was lost) and was stopped; "
                f"{run.chunks_done} of {run.chunks_total} chunks were applied and stay. "
                "Start it again once the workers are healthy.",
            )
            return "failed"
        run.resumes += 1
        run.save(update_fields=["resumes", "progressed_at"])
        if run.status == ImportRun.Status.QUEUED:
            transaction.on_commit(lambda: enqueue_start(run_id))
        else:
            pending = list(
                run.chunks.filter(applied=False).order_by("number").values_list("number", flat=True)
            )

            def enqueue_pending() -> None:
                for number in pending:
                    enqueue_chunk(run_id, number)

            transaction.on_commit(enqueue_pending)
    logger.warning("import run resumed", extra={"run": run_id, "resumes": run.resumes})
    return "resumed"


def import_run_fail(*, run_id: int, message: str) -> None:
    """Mark a run failed (a chunk kept failing); rows already applied stay."""
    _run_fail(run_id=run_id, message=message)


def _read_into_chunks(run: ImportRun) -> None:
    path, temporary = _local_path(run.location)
    try:
        bundle = open_bundle(
            path,
            max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            limits=ReadLimits(
                max_lines=settings.IMPORT_MAX_LINES, max_seconds=settings.IMPORT_MAX_READ_SECONDS
            ),
        )
        importer = importer_for(bundle, run.format)
        run.format = importer.name
        size = settings.IMPORT_CHUNK_ROWS
        buffer: list[bytes] = []
        errors: list[ImportRowError] = []
        for item in importer.read(bundle):
            run.rows_total += 1
            stored, refused = _stored_row(item)
            if refused is not None:
                run.failed += 1
                errors.append(_row_error(run, refused.line, refused.raw, refused.reasons))
                if len(errors) >= size:
                    ImportRowError.objects.bulk_create(errors)
                    errors = []
                continue
            buffer.append(stored)
            if len(buffer) >= size:
                _add_chunk(run, buffer)
                buffer = []
        if buffer:
            _add_chunk(run, buffer)
        ImportRowError.objects.bulk_create(errors)
    finally:
        if temporary:
            path.unlink(missing_ok=True)


def _stored_row(item: RoundRow | RowError) -> tuple[bytes, RowError | None]:
    """A row as its chunk stores it (JSON), or the row error to record instead."""
    if isinstance(item, RowError):
        return b"", item
    try:
        return orjson.dumps(item.to_json()), None
    except TypeError:  # text an importer should have refused: the row is, not the run
        return b"", RowError(item.line, item.raw, {"row": "holds text that is not UTF-8"})


def _add_chunk(run: ImportRun, rows: list[bytes]) -> None:
    """Store rows (each a JSON object) as the run's next chunk: one JSON array."""
    payload = b"[" + b",".join(rows) + b"]"
    ImportChunk.objects.create(run=run, number=run.chunks_total, payload=payload)
    run.chunks_total += 1


def _row_error(
    run: ImportRun, line: int, raw: str, reasons: dict[str, str], *, rejected: bool = True
) -> ImportRowError:
    return ImportRowError(
        run=run,
        line=line,
        raw=_storable(raw)[:MAX_RAW],
        reasons={_storable(k): _storable(v) for k, v in reasons.items()},
        rejected=rejected,
    )


def _storable(text: str) -> str:
    """`text` with what a database cannot store (bytes that were not UTF-8, NUL) as U+FFFD."""
    return text.encode("utf-8", errors="replace").decode().replace("\x00", "\ufffd")


# --- Chunks ---------------------------------------------------------------------

# A run that wrote this many rounds refreshes the planner's statistics when it ends.
ANALYZE_AFTER_ROWS = 1000


def _analyze(models: tuple[type[Model], ...] = (FundingRound,)) -> None:
    """Refresh PostgreSQL's statistics of the tables an import fills.

    Autovacuum would, some time later (or never, where it is off); until then a
    database that grew tenfold is planned as if it had not, and the pages slow
    down. A fraction of a second for 100k rounds.
    """
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}")


def _doubled(before: int, after: int) -> bool:
    """Whether a run's written rows passed a power of two, from ANALYZE_AFTER_ROWS on."""
    return after >= ANALYZE_AFTER_ROWS and after.bit_length() > max(before, 1).bit_length()


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[ImportRowError] = field(default_factory=list)
    db_seconds: float = 0.0


def import_chunk_apply(*, run_id: int, number: int) -> bool:
    """Apply one chunk in one transaction; False when it was applied before."""
    started = time.perf_counter()
    with transaction.atomic(), fewer_collections():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        chunk = ImportChunk.objects.get(run_id=run_id, number=number)
        if chunk.applied or run.status != ImportRun.Status.RUNNING:
            return False
        counts = _apply_rows(run, [RoundRow.from_json(r) for r in orjson.loads(chunk.payload)])
        run.db_seconds += counts.db_seconds
        ImportRowError.objects.bulk_create(counts.errors)
        chunk.applied = True
        chunk.payload = b""  # applied rows are not needed again
        chunk.save(update_fields=["applied", "payload"])
        written = run.created + run.updated
        run.created += counts.created
        run.updated += counts.updated
        run.unchanged += counts.unchanged
        run.failed += counts.failed
        run.chunks_done += 1
        if run.chunks_done >= run.chunks_total:
            run.status = ImportRun.Status.DONE
            run.finished_at = timezone.now()
            if run.created + run.updated >= ANALYZE_AFTER_ROWS:
                _analyze((Company, Investor, FundingRound, Participation, Source, RoundKey))
        elif _doubled(written, run.created + run.updated):
            # The next chunks look rounds up by company and date: plan them on today's size.
            _analyze()
        run.apply_seconds += time.perf_counter() - started
        run.save()
    return True


@dataclass(slots=True)
class _Nearby:
    """A round as duplicate detection compares it: stored (pk) or planned in this chunk."""

    pk: int | None
    announced_on: date
    amount: Decimal | None
    currency: str
    planned: FundingRound | None = None


class _Chunk:
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
        self.by_stage: dict[tuple[int, str], list[_Nearby]] = {}
        for pk, company_id, stage, announced_on, amount, currency in _nearby_rounds(
            {
                (company_id, r.stage, r.announced_on)
                for r in rows
                if (company_id := self.company_ids.get((r.company_slug, r.company)) or 0) > 0
            }
        ):
            self.by_stage.setdefault((company_id, stage), []).append(
                _Nearby(pk, announced_on, amount, currency)
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
            raise ValidationError(
                {"investors": f"{name[:100]}: {_reasons(error) if error else ''}"}
            )
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
            new[key] = (ref, build(model, {"name": name, **{k: v for k, v in fields.items() if v}}))
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


def _apply_rows(run: ImportRun, rows: list[RoundRow]) -> _Counts:
    counts = _Counts()
    chunk = _Chunk(rows)
    seen: set[str] = set()
    for row in rows:
        if row.key and row.key in seen:
            counts.unchanged += 1  # a row repeated within the file
            continue
        try:
            outcome = _apply_row(row, chunk)
        except ValidationError as error:
            counts.failed += 1
            counts.errors.append(_row_error(run, row.line, row.raw, _reasons(error)))
            continue
        seen.add(row.key)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        if row.warnings:
            counts.errors.append(_row_error(run, row.line, row.raw, row.warnings, rejected=False))
    started = time.perf_counter()
    chunk.insert_pending()
    _write(chunk)
    counts.db_seconds = time.perf_counter() - started
    return counts


def _write(chunk: _Chunk) -> None:
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


def _reasons(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {
            name: " ".join(str(m) for m in messages)
            for name, messages in error.message_dict.items()
        }
    return {"row": " ".join(error.messages)}


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


def _apply_row(row: RoundRow, chunk: _Chunk) -> str:
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
        funding_round = build(
            FundingRound,
            {"company_id": company_id, "stage": row.stage, "announced_on": announced_on, **fields},
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
            _Nearby(None, announced_on, funding_round.amount, funding_round.currency, funding_round)
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
    chunk: _Chunk,
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
    chunk: _Chunk,
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
    row: RoundRow, company_id: int, announced_on: date, chunk: _Chunk
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


def _participations(row: RoundRow, chunk: _Chunk, company_id: int) -> list[ParticipationSpec]:
    specs: dict[int, ParticipationSpec] = {}
    for item in row.investors:
        investor = chunk.investor(str(item["name"]), str(item.get("slug") or ""))
        if investor.company_id == company_id:
            raise ValidationError({"investors": f"{investor} is the company raising this round."})
        lead = bool(item.get("is_lead")) or (investor.pk in specs and specs[investor.pk].is_lead)
        specs[investor.pk] = ParticipationSpec(investor=investor, is_lead=lead)
    return list(specs.values())


def _investor_changes(
    funding_round: FundingRound, incoming: list[ParticipationSpec], chunk: _Chunk
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


def _sources_of(funding_round: FundingRound, chunk: _Chunk) -> dict[str, SourceSpec]:
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


# --- Scheduled sources ------------------------------------------------------------


def import_source_start(*, source: ImportSource, trigger: str, started_by: Any = None) -> ImportRun:
    """A queued run of the source, and its next scheduled time moved on."""
    run = import_run_create(
        location=source.url,
        trigger=trigger,
        format_name=source.format,
        started_by=started_by,
        source=source,
    )
    source.next_run_at = timezone.now() + timedelta(minutes=source.every_minutes)
    source.save(update_fields=["next_run_at"])
    return run


def import_sources_due() -> list[ImportSource]:
    """Enabled sources whose next run time has come (or was never set). One query."""
    return list(
        ImportSource.objects.filter(enabled=True).filter(
            Q(next_run_at__isnull=True) | Q(next_run_at__lte=timezone.now())
        )
    )

"""Imports: formats, external keys of rounds, scheduled sources, runs, chunks and row errors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from companies.links import WebURLField, validate_fetchable_url
from companies.text import NoControlCharacters
from funding.models.rounds import FundingRound


class ImportFormat(models.TextChoices):
    DETECT = "", "Detect from the header"
    CRUNCHBASE = "crunchbase", "Crunchbase export (bulk v4, 2.x or Pro web UI)"
    ROUNDBOOK = "roundbook", "Roundbook JSON Lines or CSV"


class RoundKey(models.Model):
    """A stable external key (source + the export's id, or a hash) of an imported round.

    A round may carry several: it can arrive from Crunchbase and from a
    Roundbook export of another instance. Re-importing a row with a known key
    updates that round instead of creating one; a `merged` key's row only
    fills what the round lacks.
    """

    key = models.CharField(max_length=200, unique=True)
    round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="external_keys")
    merged = models.BooleanField(
        default=False,
        help_text="Another source's row merged into this round as a likely duplicate: "
        "it fills what the round lacks and never overwrites it.",
    )

    def __str__(self) -> str:
        return self.key


class ImportSource(models.Model):
    """A URL imported on a schedule by Celery beat (see funding.tasks.import_sources_run_due)."""

    name = models.CharField(max_length=120, validators=[NoControlCharacters()])
    url = WebURLField(
        validators=[validate_fetchable_url],
        help_text="http(s) only; a host that resolves to a private address is refused.",
    )
    format = models.CharField(
        max_length=16, choices=ImportFormat.choices, blank=True, default=ImportFormat.DETECT
    )
    enabled = models.BooleanField(default=True)
    every_minutes = models.PositiveIntegerField(
        default=1440, help_text="How often to import it (1440 = daily)."
    )
    next_run_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: at the next check (every minute)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(every_minutes__gte=1),
                name="import_source_every_minute_at_most",
                violation_error_message="A source runs at most once a minute.",
            ),
        ]
        indexes = [
            # The beat task's "enabled sources that are due".
            models.Index(fields=["enabled", "next_run_at"], name="import_source_due_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """One import of one file or URL: its progress, counts and outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        COMMAND = "command", "Management command"
        UPLOAD = "upload", "Admin upload"
        SCHEDULE = "schedule", "Schedule"
        ADMIN = "admin", "Admin \u201crun now\u201d"

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    format = models.CharField(
        max_length=16, choices=ImportFormat.choices, blank=True, default=ImportFormat.DETECT
    )
    location = models.CharField(max_length=1000, help_text="The file path or URL imported.")
    source = models.ForeignKey(
        ImportSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    trigger = models.CharField(max_length=8, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rows_total = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(
        auto_now=True, help_text="When the run last moved on (read, a chunk applied, resumed)."
    )
    resumes = models.PositiveSmallIntegerField(
        default=0, help_text="Times the run was enqueued again after it stopped progressing."
    )
    # Where the time went (seconds): reading the file into chunks; applying the chunks,
    # and of that the bulk writes alone (staging and upserts).
    read_seconds = models.FloatField(default=0)
    apply_seconds = models.FloatField(default=0)
    db_seconds = models.FloatField(default=0, verbose_name="database write seconds")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="import_run_status_valid",
                violation_error_message="Unknown import status.",
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.location}"

    @property
    def summary(self) -> str:
        return (
            f"created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} failed={self.failed}"
        )


class ImportChunk(models.Model):
    """A slice of a run's parsed rows, applied in one transaction by one task."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    # The parsed rows as one JSON array, encoded with orjson and stored as bytes: a chunk is
    # written once and read once, so the database has no reason to parse it (jsonb would).
    # Emptied once applied.
    payload = models.BinaryField(default=bytes)
    applied = models.BooleanField(default=False)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            # Also the index a chunk task looks its chunk up by.
            models.UniqueConstraint(fields=["run", "number"], name="import_chunk_unique_number"),
        ]

    def __str__(self) -> str:
        return f"chunk {self.number} of run {self.run_id}"


class ImportRowError(models.Model):
    """A rejected row, or a kept row with a warning: where it was, what it said, and why."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField(help_text="Line number in the file (1 is the header).")
    raw = models.TextField(blank=True, default="")
    reasons = models.JSONField(default=dict, help_text="Field name to message.")
    rejected = models.BooleanField(
        default=True,
        help_text="Rejected: the row changed nothing. Otherwise it was imported, with a warning.",
    )

    class Meta:
        ordering = ["run", "line", "id"]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"

    @property
    def reason(self) -> str:
        return "; ".join(f"{field}: {message}" for field, message in self.reasons.items())

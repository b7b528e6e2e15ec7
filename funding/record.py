"""The round record, declared once.

What Roundbook publishes about a round, in order: the keys of a JSON record (API
reads, the JSON Lines export), the fields of the API's `Round` schema, the CSV
columns (the nested parts flattened), and the names the pages' tables read cells
and headers by. `funding.roundbook_format` builds records and CSV rows from it,
`funding.api.serializers.RoundSerializer` its fields, `funding.tables` its labels.

A scalar field is a `FundingRound` model field of the same name: its type (money,
date, choice …), its choices and its label come from the model. Adding one to the
record is one entry here, plus the model field and its migration. The three nested
parts (the company, the investors, the sources) have a shape of their own, built by
`roundbook_format`, and their own CSV columns.

The bench's raw baseline (`bench/raw_app.py`) spells the same fields in SQL, without
Django; `tests/bench/test_raw_app.py` checks it serves them in this order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from django.db import models

from funding.models import FundingRound


class Kind(StrEnum):
    """How a record writes a value (and the API describes it)."""

    INTEGER = "integer"
    TEXT = "text"
    CHOICE = "choice"
    MONEY = "money"  # a decimal string, whole amounts without ".00"
    DATE = "date"  # ISO 8601
    DATETIME = "datetime"  # ISO 8601
    BOOLEAN = "boolean"
    NESTED = "nested"  # company, investors, sources


# Checked in order (a DateTimeField is a DateField; AutoFields are IntegerFields).
_KINDS: tuple[tuple[type[models.Field[object, object]], Kind], ...] = (
    (models.DecimalField, Kind.MONEY),
    (models.DateTimeField, Kind.DATETIME),
    (models.DateField, Kind.DATE),
    (models.BooleanField, Kind.BOOLEAN),
    (models.IntegerField, Kind.INTEGER),
)


@dataclass(frozen=True)
class RecordField:
    name: str
    #: The `.values()` paths the field is read from.
    paths: tuple[str, ...]
    #: Its columns in the CSV, in order.
    csv_columns: tuple[str, ...]
    help_text: str = ""
    nested: bool = False
    label_override: str = ""

    @cached_property
    def model_field(self) -> models.Field[object, object]:
        field = FundingRound._meta.get_field(self.name)
        assert isinstance(field, models.Field)
        return field

    @cached_property
    def kind(self) -> Kind:
        if self.nested:
            return Kind.NESTED
        field = self.model_field
        kind = next((kind for cls, kind in _KINDS if isinstance(field, cls)), None)
        return kind or (Kind.CHOICE if field.choices else Kind.TEXT)

    @property
    def label(self) -> str:
        """The column header pages show."""
        if self.label_override:
            return self.label_override
        if self.nested:
            return self.name.capitalize()
        return str(self.model_field.verbose_name).capitalize()


def _scalar(name: str, *, help_text: str = "", label: str = "") -> RecordField:
    return RecordField(name, (name,), (name,), help_text=help_text, label_override=label)


def _nested(name: str, paths: tuple[str, ...], csv_columns: tuple[str, ...]) -> RecordField:
    return RecordField(name, paths, csv_columns, nested=True)


ROUND_RECORD: tuple[RecordField, ...] = (
    _scalar("id"),
    # {"slug", "name"}; in CSV the slug and the name.
    _nested("company", ("company__slug", "company__name"), ("company", "company_name")),
    _scalar("stage"),
    _scalar("announced_on", label="Date"),
    _scalar("announced_on_precision"),
    _scalar("amount"),
    _scalar("currency", help_text="ISO 4217; empty when no amount is known."),
    _scalar("amount_usd"),
    _scalar("usd_basis", help_text="Where the USD figures come from."),
    _scalar("pre_money_valuation", label="Pre-money"),
    _scalar("post_money_valuation", label="Post-money"),
    _scalar("pre_money_valuation_usd"),
    _scalar("post_money_valuation_usd"),
    _scalar("status"),
    # [{"slug", "name", "is_lead"}], leads first; in CSV two name lists.
    _nested("investors", (), ("lead_investors", "other_investors")),
    # [{"url", "title", "publisher", "published_on"}]; in CSV the URLs.
    _nested("sources", (), ("source_urls",)),
    _scalar("notes"),
    _scalar("created_at"),
    _scalar("updated_at"),
)

RECORD_FIELDS = {f.name: f for f in ROUND_RECORD}
#: The record's keys, in order.
RECORD_KEYS = tuple(RECORD_FIELDS)
#: The CSV header.
CSV_COLUMNS = [column for f in ROUND_RECORD for column in f.csv_columns]
#: What `round_rows()` reads with `.values()` (the nested lists come as JSON annotations).
VALUES_PATHS = [path for f in ROUND_RECORD for path in f.paths]

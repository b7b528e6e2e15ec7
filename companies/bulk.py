"""Inserting many new rows, with their history, in as few round trips as the database allows.

Shared by both cores (companies and funding build on it; it imports neither).
On PostgreSQL the primary keys are drawn from the table's sequence in one
query, the rows are streamed with COPY, and the historical rows are written
by one `INSERT ... SELECT` from the rows just copied: close to a raw COPY, where
`bulk_create_with_history` builds and sends every row twice from Python.
Elsewhere (SQLite) it is `bulk_create_with_history`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, get_history_model_for_model

HISTORY_FIELDS = {"history_id", "history_user", "history_change_reason"}  # left to defaults


def bulk_insert[M: models.Model](
    model: type[M], objs: Sequence[M], *, history: bool = True
) -> list[M]:
    """Insert unsaved `objs` (and, with `history`, a "+" historical row each); fills their pks.

    Runs three statements on PostgreSQL whatever the number of rows. Field
    `pre_save` runs as in `save()` (auto_now dates); validation does not: call
    `full_clean` first. The database enforces every constraint.
    """
    if not objs:
        return []
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        if history:
            return list(bulk_create_with_history(list(objs), model, batch_size=1000))
        return model._default_manager.bulk_create(list(objs), batch_size=1000)
    meta = model._meta
    table = meta.db_table
    pk_column = str(meta.pk.column) if meta.pk is not None else "id"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk_column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        fields = meta.concrete_fields
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f in fields)
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([_db_value(f, obj, connection) for f in fields])
        if history:
            _history_insert(cursor, model, [obj.pk for obj in objs], connection)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


# Values psycopg adapts as they are: Django's preparation (e.g. re-quantising a Decimal
# that full_clean already limited to the field's places) would cost more than the COPY.
PLAIN_TYPES = {"DecimalField", "ForeignKey", "CharField", "TextField", "BooleanField"}


def _db_value(field: Any, obj: models.Model, connection: BaseDatabaseWrapper) -> Any:
    value = field.pre_save(obj, True)
    if value is None or field.get_internal_type() in PLAIN_TYPES:
        return value
    return field.get_db_prep_save(value, connection)


def _history_insert(
    cursor: Any, model: type[models.Model], pks: list[Any], connection: BaseDatabaseWrapper
) -> None:
    """One "+" historical row per pk, copied from the rows themselves: one statement."""
    history_model = get_history_model_for_model(model)
    own = {f.column for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    targets: list[str] = []
    values: list[str] = []
    for field in history_model._meta.concrete_fields:
        if field.name in HISTORY_FIELDS:
            continue
        targets.append(quote(str(field.column)))
        if field.column in own:
            values.append(quote(str(field.column)))
        elif field.name == "history_date":
            values.append("%(now)s")
        elif field.name == "history_type":
            values.append("'+'")
        else:
            raise NotImplementedError(f"{history_model.__name__}.{field.name} has no bulk value")
    pk_column = str(model._meta.pk.column) if model._meta.pk is not None else "id"
    # Only quoted names from the models' metadata are interpolated; values are parameters.
    sql = (
        f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(targets)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(pk_column)} = ANY(%(pks)s)"
    )
    cursor.execute(
        sql,
        {"now": timezone.now(), "pks": pks},
    )

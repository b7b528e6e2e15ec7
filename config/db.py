"""Inserting many new rows, with their history, in as few round trips as the database allows.

Generic (COPY, staging tables, `ON CONFLICT`): companies and funding build on it; it
imports neither.
On PostgreSQL the primary keys are drawn from the table's sequence in one
query, the rows are streamed with COPY, and the historical rows are written
by one `INSERT ... SELECT` from the rows just copied: close to a raw COPY, where
`bulk_create_with_history` builds and sends every row twice from Python.
Elsewhere (SQLite) it is `bulk_create_with_history`.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import partial
from typing import Any

from django.db import connections, models, router, transaction
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
        getters = _value_getters(fields, connection, add=True)
        with _copy(connection, cursor, f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([get(obj) for get in getters])
        if history:
            _history_insert(cursor, model, [obj.pk for obj in objs], connection)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def bulk_insert_children(
    model: type[models.Model],
    rows: Sequence[Sequence[Any]],
    *,
    columns: Sequence[str],
    parent_column: str,
    history: bool = True,
) -> None:
    """Insert the rows of parents that are themselves new (a new round's investors), with history.

    Rows are values of `columns` (validated, as stored), one of which is
    `parent_column`; no model instance is built per row. On PostgreSQL the
    rows are copied in without primary keys (the table's default draws them)
    and, with `history`, their history is copied from every row of those
    parents: two statements. The parents must have had no rows of `model` before.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        by_column = {f.column: f.attname for f in model._meta.concrete_fields}
        bulk_insert(
            model,
            [model(**{by_column[c]: v for c, v in zip(columns, row, strict=True)}) for row in rows],
            history=history,
        )
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    position = list(columns).index(parent_column)
    with connection.cursor() as cursor:
        table = quote(model._meta.db_table)
        with _copy(connection, cursor, f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if history:
            parents = list({row[position] for row in rows})
            _history_insert(cursor, model, parents, connection, where_column=parent_column)


@contextmanager
def _copy(connection: BaseDatabaseWrapper, cursor: Any, statement: str) -> Iterator[Any]:
    """psycopg's COPY on a Django cursor, its errors raised as Django's (`IntegrityError` …).

    Django wraps the errors of the queries it runs, not of COPY, which goes
    to psycopg's own cursor; callers (task retries) rely on Django's classes.
    """
    with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        yield copy


# Values psycopg adapts as they are: Django's preparation (e.g. re-quantising a Decimal
# that full_clean already limited to the field's places) would cost more than the COPY.
PLAIN_TYPES = {"DecimalField", "ForeignKey", "CharField", "TextField", "BooleanField"}
# Also plain on PostgreSQL, whose adapters Django's own preparation leaves them to.
POSTGRESQL_PLAIN_TYPES = {
    *PLAIN_TYPES,
    "AutoField",
    "BigAutoField",
    "IntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "DateField",
    "DateTimeField",
}


def _value_getters(
    fields: Sequence[Any], connection: BaseDatabaseWrapper, *, add: bool
) -> list[Callable[[models.Model], Any]]:
    """Per field, what `_db_value` returns for an object, without its per-value dispatch.

    A plain field whose `pre_save` is Django's default (the attribute as it is) is
    read straight off the object: most of a round's twenty columns. `auto_now`
    dates (and `auto_now_add` ones when adding) get one time for the whole call,
    set on each object as `pre_save` would.
    """
    plain = POSTGRESQL_PLAIN_TYPES if connection.vendor == "postgresql" else PLAIN_TYPES
    now = timezone.now()
    getters: list[Callable[[models.Model], Any]] = []
    for field in fields:
        now_field = getattr(field, "auto_now", False)
        stamped = now_field or (add and getattr(field, "auto_now_add", False))
        if stamped and field.get_internal_type() in plain:
            getters.append(partial(_stamp, field.attname, now))
        elif type(field).pre_save is models.Field.pre_save and field.get_internal_type() in plain:
            getters.append(operator.attrgetter(field.attname))
        else:
            getters.append(partial(_db_value, field, connection=connection, add=add))
    return getters


def _stamp(attname: str, now: Any, obj: models.Model) -> Any:
    setattr(obj, attname, now)
    return now


def _db_value(
    field: Any, obj: models.Model, connection: BaseDatabaseWrapper, *, add: bool = True
) -> Any:
    value = field.pre_save(obj, add)
    if value is None or field.get_internal_type() in PLAIN_TYPES:
        return value
    return field.get_db_prep_save(value, connection)


def _history_insert(
    cursor: Any,
    model: type[models.Model],
    pks: list[Any],
    connection: BaseDatabaseWrapper,
    history_type: str = "+",
    *,
    where_column: str = "",
) -> None:
    """One historical row per pk ("+" created, "~" changed), copied from the rows: one statement.

    With `where_column`, `pks` are values of that column instead (every row holding one).
    """
    if not pks:
        return
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
            values.append("%(type)s")
        else:
            raise NotImplementedError(f"{history_model.__name__}.{field.name} has no bulk value")
    pk_column = where_column or (str(model._meta.pk.column) if model._meta.pk else "id")
    # Only quoted names from the models' metadata are interpolated; values are parameters.
    sql = (
        f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(targets)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(pk_column)} = ANY(%(pks)s)"
    )
    cursor.execute(
        sql,
        {"now": timezone.now(), "pks": pks, "type": history_type},
    )


@dataclass
class Upserted:
    """The primary keys an upsert inserted and those it changed."""

    inserted: list[Any] = dataclass_field(default_factory=list)
    updated: list[Any] = dataclass_field(default_factory=list)


_stage_names = itertools.count()


def bulk_upsert(
    model: type[models.Model],
    rows: Sequence[Sequence[Any]],
    *,
    columns: Sequence[str],
    conflict: Sequence[str],
    update: Sequence[str] = (),
    touch: Sequence[str] = (),
    history: bool = True,
) -> Upserted:
    """Insert `rows` (values of `columns`), or update the row with the same `conflict` columns.

    An existing row is updated only where one of its `update` columns differs
    (`touch` columns, such as `updated_at`, are then written too but never
    compared); with no `update` columns existing rows are left alone. Values
    must be what the database stores (the caller validated them); each key of
    `conflict` must appear once. Historical rows ("+" or "~") are written for
    what changed.

    On PostgreSQL: the rows are copied into a temporary table, then one
    `INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE ... IS DISTINCT FROM`
    writes them, and one `INSERT ... SELECT` per kind writes their history:
    five statements whatever the number of rows. Elsewhere (SQLite) each row is
    looked up and saved through the ORM, history included.
    """
    result = Upserted()
    if not rows:
        return result
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return _upsert_portable(
            model,
            rows,
            columns=columns,
            conflict=conflict,
            update=update,
            touch=touch,
            history=history,
        )
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    stage = quote(f"upsert_stage_{next(_stage_names)}")
    names = ", ".join(quote(c) for c in columns)
    pk_column = quote(str(model._meta.pk.column) if model._meta.pk is not None else "id")
    if update:
        assignments = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in [*update, *touch])
        current = ", ".join(f"{table}.{quote(c)}" for c in update)
        incoming = ", ".join(f"EXCLUDED.{quote(c)}" for c in update)
        action = f"DO UPDATE SET {assignments} WHERE ({current}) IS DISTINCT FROM ({incoming})"
    else:
        action = "DO NOTHING"
    # Only quoted names from the models' metadata are interpolated; values are copied.
    # In a transaction (a savepoint inside the caller's): the staging table lives until
    # its end, and a failure leaves nothing half written.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with _copy(connection, cursor, f"COPY {stage} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} "  # noqa: S608
            f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) {action} "
            f"RETURNING {pk_column}, (xmax = 0)"
        )
        for pk, inserted in cursor.fetchall():
            (result.inserted if inserted else result.updated).append(pk)
        cursor.execute(f"DROP TABLE {stage}")
        if history:
            _history_insert(cursor, model, result.inserted, connection, "+")
            _history_insert(cursor, model, result.updated, connection, "~")
    return result


def _upsert_portable(
    model: type[models.Model],
    rows: Sequence[Sequence[Any]],
    *,
    columns: Sequence[str],
    conflict: Sequence[str],
    update: Sequence[str],
    touch: Sequence[str],
    history: bool,
) -> Upserted:
    """`bulk_upsert` through the ORM, one lookup per row (SQLite)."""
    result = Upserted()
    by_column = {f.column: f.attname for f in model._meta.concrete_fields}
    manager = model._default_manager
    to_create: list[models.Model] = []
    for row in rows:
        values = {by_column[c]: v for c, v in zip(columns, row, strict=True)}
        existing = manager.filter(**{by_column[c]: values[by_column[c]] for c in conflict}).first()
        if existing is None:
            to_create.append(model(**values))
            continue
        changed = [
            by_column[c] for c in update if getattr(existing, by_column[c]) != values[by_column[c]]
        ]
        if changed:
            written = [*changed, *(by_column[c] for c in touch)]
            for attname in written:
                setattr(existing, attname, values[attname])
            existing.save(update_fields=written)
            result.updated.append(existing.pk)
    if to_create:
        created = (
            bulk_create_with_history(to_create, model)
            if history
            else manager.bulk_create(to_create)
        )
        result.inserted.extend(obj.pk for obj in created)
    return result


def bulk_save[M: models.Model](model: type[M], objs: Sequence[M]) -> Upserted:
    """Write changed, already validated existing objects in bulk (see `bulk_upsert`).

    Every concrete field but the primary key and the creation date is
    written; `auto_now` fields are set as `save()` would, and only objects that
    differ are changed (and get a "~" historical row).
    """
    if not objs:
        return Upserted()
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    fields = meta.concrete_fields
    touch = [f for f in fields if getattr(f, "auto_now", False)]
    kept = [f for f in fields if f.primary_key or getattr(f, "auto_now_add", False)]
    getters = _value_getters(fields, connection, add=False)
    return bulk_upsert(
        model,
        [[get(obj) for get in getters] for obj in objs],
        columns=[str(f.column) for f in fields],
        conflict=[str(f.column) for f in fields if f.primary_key],
        update=[str(f.column) for f in fields if f not in touch and f not in kept],
        touch=[str(f.column) for f in touch],
    )

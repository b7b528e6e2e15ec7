"""Django's SQLite backend, with triggers kept across table rebuilds.

SQLite cannot alter most of a table in place, so Django's schema editor rebuilds
it (create `new__<table>`, copy, drop, rename). Indexes are rebuilt with it, but
triggers are not: the table's own triggers go with the dropped table, and a
trigger on another table that names it makes the rename fail ("error in trigger
…: no such table"). The self-investment triggers (funding migration 0002) are
of both kinds, so without this any migration that adds a field to a round failed
on SQLite, the embedded default.

Here a rebuild drops the triggers that name the table first and makes them again
from their stored SQL after (what SQLite's "making other kinds of table schema
changes" procedure asks for). A trigger that names a column the rebuild removed
then fails loudly, as it should. PostgreSQL alters tables in place and keeps its
triggers: settings use this backend for SQLite only.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base, schema
from django.db.models import Model


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(self, model: type[Model], *args: Any, **kwargs: Any) -> None:
        table = model._meta.db_table
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND (tbl_name = %s OR sql LIKE %s) ORDER BY name",
                [table, f"%{table}%"],
            )
            triggers = cursor.fetchall()
        for name, _sql in triggers:
            self.execute(f"DROP TRIGGER {self.quote_name(name)}", None)
        # Private in Django (the one place it rebuilds a table), absent from django-stubs.
        super()._remake_table(model, *args, **kwargs)  # type: ignore[misc]
        for _name, sql in triggers:
            self.execute(sql, None)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

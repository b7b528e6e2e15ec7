"""PostgreSQL: new participations are checked for self-investment once per statement.

Migration 0002's row trigger ran one query per inserted participation, which
dominated a bulk import's COPY. New rows are now checked together, from the
statement's transition table, after it (the error and its code are the same);
changed rows keep the row trigger (an UPDATE cannot have both a column list and
a transition table). SQLite keeps its row triggers.
"""

from __future__ import annotations

from django.db import migrations

MESSAGE = "participation_not_self: a company cannot invest in itself"


def statement_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER roundbook_not_self_participation ON funding_participation;"
        "CREATE TRIGGER roundbook_not_self_participation BEFORE UPDATE OF round_id, investor_id "
        "ON funding_participation FOR EACH ROW "
        "EXECUTE FUNCTION roundbook_not_self_participation();"
    )
    schema_editor.execute(
        f"""
        CREATE FUNCTION roundbook_not_self_participations() RETURNS trigger AS $$
        BEGIN
            IF EXISTS (
                SELECT 1 FROM new_participations p
                JOIN funding_fundinground r ON r.id = p.round_id
                JOIN companies_investor i ON i.id = p.investor_id
                WHERE i.company_id = r.company_id
            ) THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER roundbook_not_self_participations AFTER INSERT ON funding_participation
        REFERENCING NEW TABLE AS new_participations
        FOR EACH STATEMENT EXECUTE FUNCTION roundbook_not_self_participations();
        """
    )


def row_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER roundbook_not_self_participations ON funding_participation;"
        "DROP FUNCTION roundbook_not_self_participations();"
        "DROP TRIGGER roundbook_not_self_participation ON funding_participation;"
        "CREATE TRIGGER roundbook_not_self_participation "
        "BEFORE INSERT OR UPDATE OF round_id, investor_id "
        "ON funding_participation FOR EACH ROW "
        "EXECUTE FUNCTION roundbook_not_self_participation();"
    )


class Migration(migrations.Migration):
    dependencies = [("funding", "0004_import_run_timings")]

    operations = [migrations.RunPython(statement_trigger, row_trigger, elidable=False)]

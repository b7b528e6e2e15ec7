"""A company cannot invest in itself: enforced by triggers.

The rule spans three tables (a participation's investor may be linked to the
round's company), which a CHECK constraint cannot express. Triggers guard
every write that could break it: a new or changed participation, a round
moved to another company, an investor linked to another company.
Django's SQLite backend drops triggers when it rebuilds a table; the tests
in tests/funding/test_invariants.py fail if a later migration does that.
"""

from __future__ import annotations

from django.db import migrations

MESSAGE = "participation_not_self: a company cannot invest in itself"

# One condition per guarded write, written against NEW.
VIOLATIONS = {
    "participation": (
        "funding_participation",
        "SELECT 1 FROM funding_fundinground r JOIN companies_investor i "
        "ON i.company_id = r.company_id WHERE r.id = NEW.round_id AND i.id = NEW.investor_id",
        "round_id, investor_id",
    ),
    "round": (
        "funding_fundinground",
        "SELECT 1 FROM funding_participation p JOIN companies_investor i "
        "ON i.id = p.investor_id WHERE p.round_id = NEW.id AND i.company_id = NEW.company_id",
        "company_id",
    ),
    "investor": (
        "companies_investor",
        "SELECT 1 FROM funding_participation p JOIN funding_fundinground r "
        "ON r.id = p.round_id WHERE p.investor_id = NEW.id AND r.company_id = NEW.company_id",
        "company_id",
    ),
}


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, (table, violation, columns) in VIOLATIONS.items():
        if vendor == "postgresql":
            schema_editor.execute(
                f"""
                CREATE FUNCTION roundbook_not_self_{name}() RETURNS trigger AS $$
                BEGIN
                    IF EXISTS ({violation}) THEN
                        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql;
                """
            )
            events = "INSERT OR UPDATE" if name == "participation" else "UPDATE"
            schema_editor.execute(
                f"CREATE TRIGGER roundbook_not_self_{name} BEFORE {events} OF {columns} "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION roundbook_not_self_{name}()"
            )
        elif vendor == "sqlite":
            events = ["INSERT", f"UPDATE OF {columns}"] if name == "participation" else [
                f"UPDATE OF {columns}"
            ]
            for i, event in enumerate(events):
                schema_editor.execute(
                    f"CREATE TRIGGER roundbook_not_self_{name}_{i} BEFORE {event} ON {table} "
                    f"WHEN EXISTS ({violation}) "
                    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, (table, _violation, _columns) in VIOLATIONS.items():
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS roundbook_not_self_{name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS roundbook_not_self_{name}()")
        elif vendor == "sqlite":
            for i in range(2):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS roundbook_not_self_{name}_{i}")


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0001_initial"),
        ("companies", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]

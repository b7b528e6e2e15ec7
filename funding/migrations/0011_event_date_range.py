"""Recorded dates: 1900-01-01 to one year after today (companies.dates).

On SQLite, adding a CHECK rebuilds funding_fundinground, and a rebuilt table
loses its triggers while the participation trigger names it: the self-investment
triggers of 0002 are dropped first and made again after (PostgreSQL keeps them).
"""

import datetime
import importlib

import companies.dates
from django.db import migrations, models

_triggers = importlib.import_module("funding.migrations.0002_participation_not_self")


def drop_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _triggers.drop_triggers(apps, schema_editor)


def create_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _triggers.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('companies', '0003_event_date_range'),
        ('funding', '0010_import_run_progress'),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, create_sqlite_triggers, elidable=False),
        migrations.AlterField(
            model_name='fundinground',
            name='announced_on',
            field=models.DateField(validators=[companies.dates.validate_event_date]),
        ),
        migrations.AlterField(
            model_name='historicalfundinground',
            name='announced_on',
            field=models.DateField(validators=[companies.dates.validate_event_date]),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='published_on',
            field=models.DateField(blank=True, null=True, validators=[companies.dates.validate_event_date]),
        ),
        migrations.AlterField(
            model_name='source',
            name='published_on',
            field=models.DateField(blank=True, null=True, validators=[companies.dates.validate_event_date]),
        ),
        migrations.AddConstraint(
            model_name='fundinground',
            constraint=models.CheckConstraint(condition=models.Q(('announced_on__gte', datetime.date(1900, 1, 1)), ('announced_on__isnull', True), _connector='OR'), name='round_announced_on_range', violation_error_message='Give a date from 1900-01-01 to one year after today.'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('published_on__gte', datetime.date(1900, 1, 1)), ('published_on__isnull', True), _connector='OR'), name='source_published_on_range', violation_error_message='Give a date from 1900-01-01 to one year after today.'),
        ),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers, elidable=False),
    ]

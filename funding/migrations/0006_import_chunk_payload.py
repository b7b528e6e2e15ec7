"""Import chunks keep their rows as orjson bytes instead of jsonb.

A chunk is written once and read once; storing it as jsonb made the database
parse every row for nothing. Chunks not yet applied (a run in progress during
the upgrade) are carried over.
"""

from __future__ import annotations

import orjson
from django.db import migrations, models


def rows_to_payload(apps, schema_editor):
    chunk_model = apps.get_model("funding", "ImportChunk")
    for chunk in chunk_model.objects.filter(applied=False).iterator():
        chunk.payload = orjson.dumps(chunk.rows)
        chunk.save(update_fields=["payload"])


def payload_to_rows(apps, schema_editor):
    chunk_model = apps.get_model("funding", "ImportChunk")
    for chunk in chunk_model.objects.filter(applied=False).iterator():
        chunk.rows = orjson.loads(bytes(chunk.payload) or b"[]")
        chunk.save(update_fields=["rows"])


class Migration(migrations.Migration):
    dependencies = [("funding", "0005_participation_insert_trigger_per_statement")]

    operations = [
        migrations.AddField(
            model_name="importchunk",
            name="payload",
            field=models.BinaryField(default=bytes),
        ),
        migrations.RunPython(rows_to_payload, payload_to_rows),
        migrations.RemoveField(model_name="importchunk", name="rows"),
    ]

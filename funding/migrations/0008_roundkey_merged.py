"""Round keys say whether their row was merged into another source's round.

A key of a row that a run merged into an existing round (a likely duplicate)
only fills what the round lacks from then on. For keys stored before, the
first key of each round (the lowest id: the row the round was created from,
copied in first) stays its own; the others were merged.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models import Min


def mark_merged(apps, schema_editor):
    key_model = apps.get_model("funding", "RoundKey")
    first = key_model.objects.values("round_id").annotate(first=Min("id")).values("first")
    key_model.objects.exclude(id__in=first).update(merged=True)


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0007_web_urls"),
    ]

    operations = [
        migrations.AddField(
            model_name="roundkey",
            name="merged",
            field=models.BooleanField(
                default=False,
                help_text="Another source's row merged into this round as a likely duplicate: "
                "it fills what the round lacks and never overwrites it.",
            ),
        ),
        migrations.RunPython(mark_merged, migrations.RunPython.noop, elidable=True),
    ]

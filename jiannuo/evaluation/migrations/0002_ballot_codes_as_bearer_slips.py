"""Voting codes become bearer slips (issue #12): attendance keeps no code; the codes live, as
SHA-256 digests with a spent flag, in their own table. Codes already issued move there, so a
round in progress keeps voting (their old link to a voter goes with the dropped columns)."""

import hashlib

import django.db.models.deletion
from django.db import migrations, models


def move_codes(apps, schema_editor):
    Voter = apps.get_model("evaluation", "Voter")
    BallotCode = apps.get_model("evaluation", "BallotCode")
    rows = {
        hashlib.sha256(code.encode()).hexdigest(): (round_id, used)
        for code, round_id, used in Voter.objects.filter(code__isnull=False).values_list(
            "code", "round_id", "used"
        )
    }
    BallotCode.objects.bulk_create(
        BallotCode(digest=d, round_id=rows[d][0], spent=rows[d][1]) for d in sorted(rows)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="BallotCode",
            fields=[
                (
                    "digest",
                    models.CharField(
                        editable=False, max_length=64, primary_key=True, serialize=False
                    ),
                ),
                ("spent", models.BooleanField(default=False)),
                (
                    "round",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="evaluation.round",
                    ),
                ),
            ],
            options={
                "ordering": ["digest"],
            },
        ),
        migrations.RunPython(move_codes, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="voter",
            name="code",
        ),
        migrations.RemoveField(
            model_name="voter",
            name="used",
        ),
    ]

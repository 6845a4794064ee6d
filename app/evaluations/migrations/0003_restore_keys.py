"""The demo's SQLite lost the unique (subject_type, subject_ref) key when 0001 added its CHECKs
(the table rebuild leaves it out). It carries a rule: one rating per service used.
See infra/schema_keys.py."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from infra import schema_keys

KEYS = [
    ("uid_evaluation_subject", "evaluation", ('subject_type', 'subject_ref'), True, True),
]


async def restore(apps, schema_editor):
    await schema_keys.ensure(schema_editor, KEYS)


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0002_local_day")]

    initial = False

    operations = [ops.RunPython(restore, ops.RunPython.noop)]

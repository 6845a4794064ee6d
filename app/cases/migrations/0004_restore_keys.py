"""AddField(db_index=True) in 0002 added ``legal_person_id`` without its index (both engines): a
legal person's case list reads by it.
See infra/schema_keys.py."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from infra import schema_keys

KEYS = [
    ("idx_case_case_legal_person", "case_case", ('legal_person_id',), False, False),
]


async def restore(apps, schema_editor):
    await schema_keys.ensure(schema_editor, KEYS)


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_case_form_versions")]

    initial = False

    operations = [ops.RunPython(restore, ops.RunPython.noop)]

"""The demo's SQLite lost these unique keys when 0001 added its CHECKs (the table rebuild
leaves them out). They carry a rule: one notice number per agency. See infra/schema_keys.py."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from infra import schema_keys

KEYS = [
    ("uid_payment_notice_agency_no", "payment_notice", ('agency_id', 'notice_no'), True, True),
]


async def restore(apps, schema_editor):
    await schema_keys.ensure(schema_editor, KEYS)


class Migration(migrations.Migration):
    dependencies = [("fees", "0001_initial")]

    initial = False

    operations = [ops.RunPython(restore, ops.RunPython.noop)]

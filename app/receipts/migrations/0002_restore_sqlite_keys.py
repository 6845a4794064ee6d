"""The demo's SQLite lost these unique keys when 0001 added its CHECKs (the table rebuild
leaves them out). They carry a rule: receipt numbers unique per receipt code. See infra/schema_keys.py."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from infra import schema_keys

KEYS = [
    ("uid_receipt_code_number", "receipt", ('code', 'number'), True, True),
]


async def restore(apps, schema_editor):
    await schema_keys.ensure(schema_editor, KEYS)


class Migration(migrations.Migration):
    dependencies = [("receipts", "0001_initial")]

    initial = False

    operations = [ops.RunPython(restore, ops.RunPython.noop)]

"""AddField(db_index=True) in 0002 added ``client_id`` without its index (both engines).
See infra/schema_keys.py."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from infra import schema_keys

KEYS = [
    ("idx_interaction_ticket_client", "interaction_ticket", ('client_id',), False, False),
]


async def restore(apps, schema_editor):
    await schema_keys.ensure(schema_editor, KEYS)


class Migration(migrations.Migration):
    dependencies = [("interactions", "0002_open311_clients")]

    initial = False

    operations = [ops.RunPython(restore, ops.RunPython.noop)]

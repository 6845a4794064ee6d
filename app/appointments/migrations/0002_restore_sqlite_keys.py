"""The demo's SQLite lost these unique keys when 0001 added its CHECKs (the table rebuild
leaves them out). They carry a rule: one seat per person per slot and per group: never double-book. See infra/schema_keys.py."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from infra import schema_keys

KEYS = [
    ("uid_appt_booking_active_slot_citizen", "appt_booking", ('active_slot_id', 'citizen_id'), True, True),
    ("uid_appt_booking_citizen_group", "appt_booking", ('citizen_id', 'active_group_key'), True, True),
    ("uid_appt_institution_agency_ref", "appt_institution", ('agency_id', 'ref'), True, True),
    ("uid_appt_slot_resource_starts", "appt_slot", ('resource_id', 'starts_at'), True, True),
]


async def restore(apps, schema_editor):
    await schema_keys.ensure(schema_editor, KEYS)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    initial = False

    operations = [ops.RunPython(restore, ops.RunPython.noop)]

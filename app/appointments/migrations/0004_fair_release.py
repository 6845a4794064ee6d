from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from infra import schema_keys

# SQLite rebuilds appt_slot to add a CHECK and drops table-level unique keys; put it back.
KEYS = [("uid_appt_slot_resource_starts", "appt_slot", ('resource_id', 'starts_at'), True, True)]


async def restore(apps, schema_editor):
    await schema_keys.ensure(schema_editor, KEYS)


class Migration(migrations.Migration):
    dependencies = [('appointments', '0003_release_modes_lottery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Rerelease',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slot_id', fields.BigIntField(db_index=True)),
                ('group_key', fields.CharField(db_index=True, max_length=64)),
                ('freed_by', fields.CharField(max_length=64)),
                ('release_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(max_length=10)),
                ('outcome', fields.CharField(null=True, max_length=32)),
                ('released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appt_rerelease', 'app': 'appointments', 'constraints': [CheckConstraint(check="status IN ('pending', 'released', 'reclaimed')", name='appt_rerelease_status')], 'pk_attr': 'id', 'table_description': 'A freed seat nobody was waiting for, held out of booking until its drawn moment.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Booking',
            name='booked_by_agency_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Slot',
            name='kept',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Slot',
            name='kept_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddConstraint(
            model_name='Slot',
            constraint=CheckConstraint(check='kept >= 0 AND remaining + kept <= capacity', name='appt_slot_kept'),
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(
            model_name='Rerelease',
            constraint=CheckConstraint(check="status IN ('pending', 'released', 'reclaimed')", name='appt_rerelease_status'),
        ),
        ops.RunPython(restore, ops.RunPython.noop),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

from infra import schema_keys

# SQLite rebuilds appt_slot (and appt_lottery) to add a CHECK and drops table-level unique
# keys; appt_slot has one, put it back.
KEYS = [("uid_appt_slot_resource_starts", "appt_slot", ('resource_id', 'starts_at'), True, True)]


async def restore(apps, schema_editor):
    await schema_keys.ensure(schema_editor, KEYS)


class Migration(migrations.Migration):
    dependencies = [('appointments', '0002_restore_sqlite_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Lottery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slot_id', fields.BigIntField(unique=True)),
                ('group_key', fields.CharField(max_length=64)),
                ('entry_opens_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('entry_closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('draw_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('seed', fields.CharField(max_length=64)),
                ('seed_sha256', fields.CharField(max_length=64)),
                ('status', fields.CharField(db_index=True, max_length=8)),
                ('entries', fields.IntField(default=0)),
                ('decided', fields.IntField(default=0)),
                ('won', fields.IntField(default=0)),
                ('drawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appt_lottery', 'app': 'appointments', 'constraints': [CheckConstraint(check="status IN ('open', 'drawing', 'drawn')", name='appt_lottery_status')], 'pk_attr': 'id', 'table_description': 'The draw of one lottery slot. Status moves only through ``states.LOTTERY``.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LotteryEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lottery_id', fields.BigIntField()),
                ('slot_id', fields.BigIntField()),
                ('entry_no', fields.IntField()),
                ('citizen_id', fields.UUIDField(db_index=True)),
                ('account_id', fields.BigIntField()),
                ('channel', fields.CharField(max_length=8)),
                ('group_key', fields.CharField(max_length=64)),
                ('rank', fields.IntField(null=True)),
                ('outcome', fields.CharField(null=True, max_length=10)),
                ('booking_id', fields.BigIntField(null=True)),
                ('waitlist_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appt_lottery_entry', 'app': 'appointments', 'unique_together': (('lottery_id', 'entry_no'), ('citizen_id', 'group_key')), 'indexes': [Index(fields=['lottery_id', 'rank'])], 'pk_attr': 'id', 'table_description': "One person's entry: numbered in arrival order, ranked and decided at the draw."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Slot',
            name='release_mode',
            field=fields.CharField(default='first_come', max_length=10),
        ),
        ops.AddConstraint(
            model_name='Slot',
            constraint=CheckConstraint(check="release_mode IN ('first_come', 'lottery')", name='appt_slot_release_mode'),
        ),
        ops.AddConstraint(
            model_name='Lottery',
            constraint=CheckConstraint(check="status IN ('open', 'drawing', 'drawn')", name='appt_lottery_status'),
        ),
        ops.RunPython(restore, ops.RunPython.noop),
    ]

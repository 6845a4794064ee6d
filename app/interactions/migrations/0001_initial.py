from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Category',
            fields=[
                ('code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('name', fields.CharField(max_length=64)),
                ('description', fields.TextField(default='', unique=False)),
                ('group', fields.CharField(default='', max_length=32)),
                ('keywords', fields.CharField(default='', max_length=128)),
                ('department_code', fields.CharField(max_length=32)),
            ],
            options={'table': 'interaction_category', 'app': 'interactions', 'pk_attr': 'code', 'table_description': 'A 12345 category: an Open311 service that names the department it goes to.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Ticket',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('citizen_id', fields.UUIDField(db_index=True)),
                ('account_id', fields.BigIntField()),
                ('channel', fields.CharField(max_length=8)),
                ('kind', fields.CharField(max_length=12)),
                ('category_code', fields.CharField(db_index=True, max_length=32)),
                ('department_code', fields.CharField(db_index=True, max_length=32)),
                ('text', fields.TextField(unique=False)),
                ('address', fields.CharField(null=True, max_length=200)),
                ('lat', fields.FloatField(null=True)),
                ('long', fields.FloatField(null=True)),
                ('photo_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(db_index=True, max_length=10)),
                ('reply', fields.TextField(null=True, unique=False)),
                ('replied_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reopen_count', fields.SmallIntField(default=0)),
                ('rating', fields.SmallIntField(null=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'interaction_ticket', 'app': 'interactions', 'constraints': [CheckConstraint(check="status IN ('dispatched', 'replied', 'reopened', 'closed')", name='interaction_ticket_status'), CheckConstraint(check="kind IN ('consult', 'complaint', 'report')", name='interaction_ticket_kind'), CheckConstraint(check='rating IS NULL OR rating BETWEEN 1 AND 5', name='interaction_rating_1_5')], 'pk_attr': 'id', 'table_description': 'One consultation, complaint or report. Status moves only through states.TRANSITIONS.'},
            bases=['Model'],
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='Ticket', constraint=CheckConstraint(check="status IN ('dispatched', 'replied', 'reopened', 'closed')", name='interaction_ticket_status')),
        ops.AddConstraint(model_name='Ticket', constraint=CheckConstraint(check="kind IN ('consult', 'complaint', 'report')", name='interaction_ticket_kind')),
        ops.AddConstraint(model_name='Ticket', constraint=CheckConstraint(check='rating IS NULL OR rating BETWEEN 1 AND 5', name='interaction_rating_1_5')),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Deadline',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject_type', fields.CharField(max_length=16)),
                ('subject_ref', fields.CharField(max_length=32)),
                ('step', fields.CharField(max_length=16)),
                ('department_code', fields.CharField(db_index=True, max_length=32)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_date', fields.DateField(db_index=True)),
                ('met_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('card', fields.CharField(default='none', max_length=8)),
                ('carded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('open_key', fields.CharField(null=True, unique=True, max_length=72)),
            ],
            options={'table': 'supervision_deadline', 'app': 'supervision', 'constraints': [CheckConstraint(check="card IN ('none', 'warning', 'yellow', 'red')", name='supervision_deadline_card_known')], 'indexes': [Index(fields=['met_at', 'due_date'])], 'pk_attr': 'id', 'table_description': 'One promised time limit of one step (a case step, a rectification, a 12345 reply).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Digest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('department_code', fields.CharField(max_length=32)),
                ('counts', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'supervision_digest', 'app': 'supervision', 'unique_together': (('day', 'department_code'),), 'pk_attr': 'id', 'table_description': 'The daily summary per department, written once per Shanghai day by the digest job.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Holiday',
            fields=[
                ('day', fields.DateField(primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=32)),
                ('workday', fields.BooleanField(default=False)),
            ],
            options={'table': 'supervision_holiday', 'app': 'supervision', 'pk_attr': 'day', 'table_description': 'A day off on a weekday (法定节假日), or a working weekend day (调休上班) when workday.'},
            bases=['Model'],
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='Deadline', constraint=CheckConstraint(check="card IN ('none', 'warning', 'yellow', 'red')", name='supervision_deadline_card_known')),
    ]

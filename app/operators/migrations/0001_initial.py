from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Operator',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=32)),
                ('display_name', fields.CharField(max_length=32)),
                ('password_hash', fields.CharField(max_length=256)),
                ('role', fields.CharField(max_length=24)),
                ('departments', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('regions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('failed_logins', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'operator', 'app': 'operators', 'constraints': [CheckConstraint(check="role IN ('platform_admin', 'department_operator', 'reviewer')", name='operator_role_known')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OperatorSession',
            fields=[
                ('token_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('operator', fields.ForeignKeyField('operators.Operator', source_field='operator_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'operator_session', 'app': 'operators', 'pk_attr': 'token_hash', 'table_description': 'An operator sign-in. Only the SHA-256 of the token is stored.'},
            bases=['Model'],
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='Operator', constraint=CheckConstraint(check="role IN ('platform_admin', 'department_operator', 'reviewer')", name='operator_role_known')),
    ]

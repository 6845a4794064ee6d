"""Open311 clients with api_keys, and tickets they file: no resident (citizen and account
null), the client and the sealed requester instead; exactly one filer per ticket."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('interactions', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Open311Client',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=64)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('key_prefix', fields.CharField(max_length=12)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'interaction_open311_client', 'app': 'interactions', 'pk_attr': 'id', 'table_description': 'An outside tool that files 12345 requests through Open311 with its own api_key.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Ticket',
            name='account_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AlterField(
            model_name='Ticket',
            name='citizen_id',
            field=fields.UUIDField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name='Ticket',
            name='client_id',
            field=fields.BigIntField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name='Ticket',
            name='media_url',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='Ticket',
            name='requester',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddConstraint(
            model_name='Ticket',
            constraint=CheckConstraint(check='(citizen_id IS NOT NULL AND account_id IS NOT NULL AND client_id IS NULL) OR (citizen_id IS NULL AND account_id IS NULL AND client_id IS NOT NULL)', name='interaction_ticket_one_filer'),
        ),
    ]

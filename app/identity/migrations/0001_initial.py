from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Citizen',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('verified', fields.BooleanField(default=False)),
                ('name_enc', fields.TextField(null=True, unique=False)),
                ('name_masked', fields.CharField(null=True, max_length=32)),
                ('id_number_enc', fields.TextField(null=True, unique=False)),
                ('id_number_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('id_number_masked', fields.CharField(null=True, max_length=24)),
                ('phone_enc', fields.TextField(null=True, unique=False)),
                ('phone_hash', fields.CharField(null=True, db_index=True, max_length=64)),
                ('phone_masked', fields.CharField(null=True, max_length=16)),
                ('merged_into_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'citizen', 'app': 'identity', 'pk_attr': 'id', 'table_description': 'One person behind every channel login (一次注册、全省漫游).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChannelAccount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=8)),
                ('subject', fields.CharField(max_length=64)),
                ('citizen', fields.ForeignKeyField('identity.Citizen', source_field='citizen_id', db_constraint=True, to_field='id', related_name='channel_accounts', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'channel_account', 'app': 'identity', 'unique_together': (('channel', 'subject'),), 'pk_attr': 'id', 'table_description': "A citizen's account on one channel: WeChat openid, Alipay user_id or app user_id."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('token_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('citizen', fields.ForeignKeyField('identity.Citizen', source_field='citizen_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('identity.ChannelAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'resident_session', 'app': 'identity', 'pk_attr': 'token_hash', 'table_description': "A resident's sign-in. Only the SHA-256 of the token is stored."},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Agency',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=40)),
                ('secret_enc', fields.TextField(unique=False)),
                ('name', fields.CharField(max_length=128)),
                ('kind', fields.CharField(max_length=16)),
                ('webhook_url', fields.CharField(null=True, max_length=512)),
                ('region_code', fields.CharField(null=True, max_length=6)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'agency', 'app': 'agency', 'pk_attr': 'id', 'table_description': 'A traffic-police system, a fee-issuing department or a hospital that calls our API.'},
            bases=['Model'],
        ),
    ]

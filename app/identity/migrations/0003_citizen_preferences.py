"""长辈版 (elder mode) and text scale, chosen per citizen so they follow them on every channel."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('identity', '0002_legal_persons')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Citizen',
            name='elder_mode',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='Citizen',
            name='text_scale',
            field=fields.SmallIntField(default=100),
        ),
        ops.AddField(
            model_name='Citizen',
            name='preferences_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]

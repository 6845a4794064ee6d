from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('infra', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxEvent',
            name='leased_by',
            field=fields.CharField(null=True, max_length=160),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('identity', '0002_legal_persons'), ('payments', '0002_refund_keys_and_review_resolution')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Notification',
            name='headers',
            field=fields.TextField(default='', unique=False),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('cases', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Case',
            name='legal_person_id',
            field=fields.BigIntField(null=True, db_index=True),
        ),
    ]

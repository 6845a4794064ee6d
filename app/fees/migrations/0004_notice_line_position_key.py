from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('agency', '0001_initial'), ('fees', '0003_random_payment_code_serials')]

    initial = False

    operations = [
        ops.AddConstraint(
            model_name='NoticeLine',
            constraint=UniqueConstraint(fields=('notice', 'position'), name=None),
        ),
    ]

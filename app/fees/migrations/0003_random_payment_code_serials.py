from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('agency', '0001_initial'), ('fees', '0002_restore_sqlite_keys')]

    initial = False

    operations = [
        ops.DeleteModel(name='PaymentCodeSerial'),
    ]

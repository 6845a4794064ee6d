from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('catalog', '0001_initial')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='AuditEntry',
            options={'table': 'catalog_audit', 'app': 'catalog', 'pk_attr': 'id', 'table_description': 'Who did what, when, and what changed. Append-only, written with the change, and'},
        ),
        ops.AddField(
            model_name='AuditEntry',
            name='mac',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AuditEntry',
            name='prev_mac',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AuditEntry',
            name='seq',
            field=fields.BigIntField(null=True, unique=True),
        ),
    ]

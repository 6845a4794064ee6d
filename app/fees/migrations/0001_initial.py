from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('agency', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='FeeItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('agency', fields.ForeignKeyField('agency.Agency', source_field='agency_id', db_constraint=True, to_field='id', related_name='fee_items', on_delete=OnDelete.RESTRICT)),
                ('item_code', fields.CharField(max_length=32)),
                ('name', fields.CharField(max_length=128)),
                ('kind_code', fields.CharField(max_length=3)),
                ('standard_fen', fields.BigIntField(null=True)),
                ('min_fen', fields.BigIntField(null=True)),
                ('max_fen', fields.BigIntField(null=True)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'fee_item', 'app': 'fees', 'unique_together': (('agency', 'item_code'),), 'pk_attr': 'id', 'table_description': 'An item an agency may collect (执收项目), with its standard or allowed range in fen.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentCodeSerial',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('prefix', fields.CharField(unique=True, max_length=11)),
                ('next_serial', fields.IntField()),
            ],
            options={'table': 'payment_code_serial', 'app': 'fees', 'pk_attr': 'id', 'table_description': 'The next 8-digit serial per (region, year, kind): codes are dense and never reused.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentNotice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payment_code', fields.CharField(unique=True, max_length=20)),
                ('agency', fields.ForeignKeyField('agency.Agency', source_field='agency_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.RESTRICT)),
                ('notice_no', fields.CharField(null=True, max_length=64)),
                ('payer_name_enc', fields.TextField(unique=False)),
                ('payer_name_masked', fields.CharField(max_length=32)),
                ('payer_id_number_enc', fields.TextField(unique=False)),
                ('payer_id_number_hash', fields.CharField(db_index=True, max_length=64)),
                ('payer_id_number_masked', fields.CharField(max_length=24)),
                ('total_fen', fields.BigIntField()),
                ('due_date', fields.DateField()),
                ('status', fields.CharField(db_index=True, max_length=12)),
                ('paid_order_no', fields.CharField(null=True, max_length=32)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_notice', 'app': 'fees', 'unique_together': (('agency', 'notice_no'),), 'constraints': [CheckConstraint(check='total_fen > 0', name='notice_total_positive')], 'pk_attr': 'id', 'table_description': 'A demand to pay (缴款通知书), paid by its 20-digit payment code.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('fees.PaymentNotice', source_field='notice_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField()),
                ('item_code', fields.CharField(max_length=32)),
                ('name', fields.CharField(max_length=128)),
                ('quantity', fields.IntField()),
                ('standard_fen', fields.BigIntField()),
                ('amount_fen', fields.BigIntField()),
            ],
            options={'table': 'payment_notice_line', 'app': 'fees', 'pk_attr': 'id'},
            bases=['Model'],
        ),
            # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='PaymentNotice', constraint=CheckConstraint(check='total_fen > 0', name='notice_total_positive')),
    ]

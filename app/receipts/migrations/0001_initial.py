from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('identity', '0001_initial'), ('payments', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Receipt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('receipt_no', fields.CharField(unique=True, max_length=18)),
                ('code', fields.CharField(max_length=8)),
                ('number', fields.BigIntField()),
                ('check_code', fields.CharField(max_length=6)),
                ('kind', fields.CharField(max_length=12)),
                ('status', fields.CharField(db_index=True, max_length=8)),
                ('source_key', fields.CharField(unique=True, max_length=40)),
                ('order', fields.ForeignKeyField('payments.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.RESTRICT)),
                ('citizen', fields.ForeignKeyField('identity.Citizen', source_field='citizen_id', db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.RESTRICT)),
                ('original', fields.ForeignKeyField('receipts.Receipt', source_field='original_id', null=True, db_constraint=True, to_field='id', related_name='red_letters', on_delete=OnDelete.RESTRICT)),
                ('amount_fen', fields.BigIntField()),
                ('red_lettered_fen', fields.BigIntField(default=0)),
                ('payer_name_enc', fields.TextField(unique=False)),
                ('payer_name_masked', fields.CharField(max_length=32)),
                ('agency_name', fields.CharField(max_length=128)),
                ('region_code', fields.CharField(max_length=6)),
                ('channel', fields.CharField(null=True, max_length=8)),
                ('description', fields.CharField(max_length=128)),
                ('issued_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('issue_date', fields.DateField()),
                ('key_id', fields.CharField(max_length=16)),
                ('qr_payload', fields.CharField(max_length=255)),
                ('rendered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'receipt', 'app': 'receipts', 'unique_together': (('code', 'number'),), 'constraints': [CheckConstraint(check="(kind = 'normal' AND amount_fen > 0 AND original_id IS NULL) OR (kind = 'red_letter' AND amount_fen < 0 AND original_id IS NOT NULL)", name='receipt_kind_amount'), CheckConstraint(check="red_lettered_fen >= 0 AND (kind = 'red_letter' OR red_lettered_fen <= amount_fen)", name='receipt_red_letters_within_amount'), CheckConstraint(check='number BETWEEN 1 AND 9999999999', name='receipt_number_range'), CheckConstraint(check="status IN ('ISSUED', 'VOIDED')", name='receipt_status_known')], 'indexes': [Index(fields=['citizen_id', 'issued_at'])], 'pk_attr': 'id', 'table_description': 'One fiscal e-receipt: blue (normal) for a paid order, or red-letter for a refund.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReceiptCounter',
            fields=[
                ('code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=8)),
                ('last_number', fields.BigIntField(default=0)),
            ],
            options={'table': 'receipt_counter', 'app': 'receipts', 'constraints': [CheckConstraint(check='last_number >= 0 AND last_number <= 9999999999', name='receipt_counter_in_range')], 'pk_attr': 'code', 'table_description': 'The last number taken under one receipt code.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReceiptFile',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('receipt', fields.ForeignKeyField('receipts.Receipt', source_field='receipt_id', db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('fmt', fields.CharField(max_length=8)),
                ('content', fields.BinaryField()),
                ('sealed', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'receipt_file', 'app': 'receipts', 'unique_together': (('receipt', 'fmt'),), 'pk_attr': 'id', 'table_description': 'A rendering, made once and served from here (PNG, SVG, PDF).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReceiptLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('receipt', fields.ForeignKeyField('receipts.Receipt', source_field='receipt_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField()),
                ('item_code', fields.CharField(max_length=32)),
                ('name', fields.CharField(max_length=128)),
                ('quantity', fields.IntField()),
                ('standard_fen', fields.BigIntField()),
                ('amount_fen', fields.BigIntField()),
            ],
            options={'table': 'receipt_line', 'app': 'receipts', 'unique_together': (('receipt', 'position'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='Receipt', constraint=CheckConstraint(check="(kind = 'normal' AND amount_fen > 0 AND original_id IS NULL) OR (kind = 'red_letter' AND amount_fen < 0 AND original_id IS NOT NULL)", name='receipt_kind_amount')),
        ops.AddConstraint(model_name='Receipt', constraint=CheckConstraint(check="red_lettered_fen >= 0 AND (kind = 'red_letter' OR red_lettered_fen <= amount_fen)", name='receipt_red_letters_within_amount')),
        ops.AddConstraint(model_name='Receipt', constraint=CheckConstraint(check='number BETWEEN 1 AND 9999999999', name='receipt_number_range')),
        ops.AddConstraint(model_name='Receipt', constraint=CheckConstraint(check="status IN ('ISSUED', 'VOIDED')", name='receipt_status_known')),
        ops.AddConstraint(model_name='ReceiptCounter', constraint=CheckConstraint(check='last_number >= 0 AND last_number <= 9999999999', name='receipt_counter_in_range')),
    ]

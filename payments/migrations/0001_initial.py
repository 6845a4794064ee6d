from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('identity', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=8)),
                ('kind', fields.CharField(max_length=8)),
                ('body', fields.TextField(unique=False)),
                ('content_type', fields.CharField(max_length=128)),
                ('received_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_notification', 'app': 'payments', 'pk_attr': 'id', 'table_description': 'Every inbound channel notification, raw, written before it is acted on. Append-only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationOutcome',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('payments.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='outcomes', on_delete=OnDelete.RESTRICT)),
                ('outcome', fields.CharField(max_length=32)),
                ('order_no', fields.CharField(null=True, db_index=True, max_length=32)),
                ('detail', fields.TextField(default='', unique=False)),
                ('decided_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_notification_outcome', 'app': 'payments', 'pk_attr': 'id', 'table_description': 'What we did with a notification (a separate row keeps the raw log append-only).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order_no', fields.CharField(unique=True, max_length=32)),
                ('citizen', fields.ForeignKeyField('identity.Citizen', source_field='citizen_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('payable_type', fields.CharField(max_length=16)),
                ('payable_ref', fields.CharField(max_length=64)),
                ('open_key', fields.CharField(null=True, unique=True, max_length=96)),
                ('paid_key', fields.CharField(null=True, unique=True, max_length=96)),
                ('status', fields.CharField(db_index=True, max_length=20)),
                ('amount_fen', fields.BigIntField()),
                ('refunded_fen', fields.BigIntField(default=0)),
                ('description', fields.CharField(max_length=128)),
                ('agency_id', fields.BigIntField(null=True)),
                ('agency_name', fields.CharField(max_length=128)),
                ('payer_name_enc', fields.TextField(unique=False)),
                ('region_code', fields.CharField(max_length=6)),
                ('channel', fields.CharField(null=True, max_length=8)),
                ('channel_trade_no', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('payment_started_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('paid_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_order', 'app': 'payments', 'constraints': [CheckConstraint(check='amount_fen > 0', name='order_amount_positive'), CheckConstraint(check='refunded_fen >= 0 AND refunded_fen <= amount_fen', name='order_refunds_within_amount')], 'indexes': [Index(fields=['payable_type', 'payable_ref'])], 'pk_attr': 'id', 'table_description': 'One order for one payable. ``order_no`` is the out_trade_no at every channel.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChannelTrade',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('payments.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='trades', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=8)),
                ('channel_trade_no', fields.CharField(null=True, max_length=64)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_channel_trade', 'app': 'payments', 'unique_together': (('order', 'channel'),), 'pk_attr': 'id', 'table_description': 'A trade opened at one channel for an order (a resident may switch channels).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('payments.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField()),
                ('item_code', fields.CharField(max_length=32)),
                ('name', fields.CharField(max_length=128)),
                ('quantity', fields.IntField()),
                ('standard_fen', fields.BigIntField()),
                ('amount_fen', fields.BigIntField()),
            ],
            options={'table': 'payment_order_line', 'app': 'payments', 'unique_together': (('order', 'position'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReconciliationRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=8)),
                ('bill_date', fields.DateField()),
                ('bill_lines', fields.IntField()),
                ('matched', fields.IntField()),
                ('fixed', fields.IntField()),
                ('open_issues', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_reconciliation_run', 'app': 'payments', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReconciliationIssue',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('payments.ReconciliationRun', source_field='run_id', db_constraint=True, to_field='id', related_name='issues', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('order_no', fields.CharField(max_length=32)),
                ('detail', fields.TextField(unique=False)),
                ('fixed', fields.BooleanField(default=False)),
            ],
            options={'table': 'payment_reconciliation_issue', 'app': 'payments', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Refund',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('refund_no', fields.CharField(unique=True, max_length=32)),
                ('order', fields.ForeignKeyField('payments.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('channel', fields.CharField(max_length=8)),
                ('amount_fen', fields.BigIntField()),
                ('reason', fields.CharField(max_length=256)),
                ('requested_by', fields.CharField(max_length=64)),
                ('status', fields.CharField(db_index=True, max_length=8)),
                ('channel_refund_no', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('settled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failure', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'payment_refund', 'app': 'payments', 'constraints': [CheckConstraint(check='amount_fen > 0', name='refund_amount_positive')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefundReview',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('payments.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.RESTRICT)),
                ('channel', fields.CharField(max_length=8)),
                ('channel_trade_no', fields.CharField(max_length=64)),
                ('amount_fen', fields.BigIntField()),
                ('reason', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolution', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'payment_refund_review', 'app': 'payments', 'unique_together': (('channel', 'channel_trade_no'),), 'pk_attr': 'id', 'table_description': 'Money that arrived for an order we could not accept (closed, or already paid).'},
            bases=['Model'],
        ),
            # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='Order', constraint=CheckConstraint(check='amount_fen > 0', name='order_amount_positive')),
        ops.AddConstraint(model_name='Order', constraint=CheckConstraint(check='refunded_fen >= 0 AND refunded_fen <= amount_fen', name='order_refunds_within_amount')),
        ops.AddConstraint(model_name='Refund', constraint=CheckConstraint(check='amount_fen > 0', name='refund_amount_positive')),
    ]

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

async def restore_review_keys(apps: Any, schema_editor: Any) -> None:
    """Tortoise 1.1 loses keys here. SQLite adds a CHECK or alters a column by rebuilding the
    table, which drops its table-level unique key (PostgreSQL alters in place and keeps it).
    Without that key a repeated late notification would queue the same money twice. The
    status index is lost on both engines by the NOT NULL change."""
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(
            'CREATE UNIQUE INDEX IF NOT EXISTS "payment_refund_review_trade_unique" '
            'ON "payment_refund_review" ("channel", "channel_trade_no")'
        )
    await client.execute_script(
        'CREATE INDEX IF NOT EXISTS "payment_refund_review_status" '
        'ON "payment_refund_review" ("status")'
    )


class Migration(migrations.Migration):
    dependencies = [('payments', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Refund',
            name='request_key',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Refund',
            name='review',
            field=fields.ForeignKeyField('payments.RefundReview', source_field='review_id', null=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddConstraint(
            model_name='Refund',
            constraint=UniqueConstraint(fields=('order', 'request_key'), name=None),
        ),
        ops.AddField(
            model_name='RefundReview',
            name='action',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='RefundReview',
            name='decided_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='RefundReview',
            name='failure',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='RefundReview',
            name='resolved_by',
            field=fields.CharField(null=True, max_length=64),
        ),
        # Reviews already in the queue are OPEN: add the column nullable, fill it, then
        # require it (adding it NOT NULL at once fails on a table that has rows).
        ops.AddField(
            model_name='RefundReview',
            name='status',
            field=fields.CharField(null=True, default='OPEN', db_index=True, max_length=16),
        ),
        ops.RunSQL(
            "UPDATE payment_refund_review SET status = 'OPEN' WHERE status IS NULL",
            reverse_sql=ops.RunSQL.noop,
        ),
        ops.AlterField(
            model_name='RefundReview',
            name='status',
            field=fields.CharField(default='OPEN', db_index=True, max_length=16),
        ),
        ops.AddConstraint(
            model_name='RefundReview',
            constraint=CheckConstraint(check="status IN ('OPEN', 'REFUNDING', 'REFUNDED', 'SETTLED_OFFLINE')", name='refund_review_status_known'),
        ),
        ops.RunPython(restore_review_keys, ops.RunPython.noop),
    ]

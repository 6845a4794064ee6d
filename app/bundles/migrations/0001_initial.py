from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='BundleCase',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bundle_no', fields.CharField(unique=True, max_length=20)),
                ('definition_id', fields.BigIntField()),
                ('bundle_code', fields.CharField(max_length=32)),
                ('bundle_name', fields.CharField(max_length=64)),
                ('citizen_id', fields.UUIDField(db_index=True)),
                ('legal_person_id', fields.BigIntField(null=True, db_index=True)),
                ('channel', fields.CharField(max_length=8)),
                ('notify_account_id', fields.BigIntField()),
                ('status', fields.CharField(db_index=True, max_length=16)),
                ('idempotency_key', fields.CharField(max_length=64)),
                ('request_sha256', fields.CharField(max_length=64)),
                ('due_date', fields.DateField()),
                ('result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('rating', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('rated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bundle_case', 'app': 'bundles', 'unique_together': (('citizen_id', 'idempotency_key'),), 'constraints': [CheckConstraint(check="status IN ('in_progress', 'completed', 'partly_refused')", name='bundle_case_status_known'), CheckConstraint(check="(status = 'in_progress') = (finished_at IS NULL)", name='bundle_case_finished_consistent')], 'pk_attr': 'id', 'table_description': 'One application for a bundle: one submission, one case per item, one result.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BundleDefinition',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(db_index=True, max_length=32)),
                ('version', fields.IntField()),
                ('name', fields.CharField(max_length=64)),
                ('audience', fields.CharField(max_length=8)),
                ('lead_department', fields.CharField(max_length=32)),
                ('document', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(db_index=True, max_length=10)),
                ('author', fields.CharField(max_length=64)),
                ('reviewer', fields.CharField(null=True, max_length=64)),
                ('review_note', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bundle_definition', 'app': 'bundles', 'unique_together': (('code', 'version'),), 'constraints': [CheckConstraint(check="status IN ('draft', 'submitted', 'approved', 'rejected', 'published', 'superseded')", name='bundle_definition_status_known')], 'pk_attr': 'id', 'table_description': 'One version of a bundle definition: the document holds the whole checked definition.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BundleItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bundle_case_id', fields.BigIntField(db_index=True)),
                ('position', fields.SmallIntField()),
                ('item_code', fields.CharField(max_length=19)),
                ('item_name', fields.CharField(max_length=64)),
                ('department_code', fields.CharField(max_length=32)),
                ('after', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(max_length=10)),
                ('case_id', fields.BigIntField(null=True, unique=True)),
                ('form', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('form_version', fields.IntField()),
                ('materials', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('pending', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('pledge', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('received', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'bundle_item', 'app': 'bundles', 'unique_together': (('bundle_case_id', 'item_code'),), 'constraints': [CheckConstraint(check="status IN ('waiting', 'filed', 'cancelled')", name='bundle_item_status_known'), CheckConstraint(check="(status = 'filed') = (case_id IS NOT NULL)", name='bundle_item_filed_has_case')], 'pk_attr': 'id', 'table_description': 'One item of a bundle case. A filed item points at its case, and a waiting one keeps'},
            bases=['Model'],
        ),
    ]

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
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('operator_id', fields.BigIntField(null=True)),
                ('operator_name', fields.CharField(max_length=64)),
                ('action', fields.CharField(max_length=32)),
                ('subject_type', fields.CharField(max_length=16)),
                ('subject_id', fields.CharField(max_length=48)),
                ('department_code', fields.CharField(null=True, db_index=True, max_length=32)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'catalog_audit', 'app': 'catalog', 'pk_attr': 'id', 'table_description': 'Who did what, when, and what changed. Append-only, written with the change.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Department',
            fields=[
                ('code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('name', fields.CharField(max_length=64)),
                ('region_code', fields.CharField(max_length=6)),
            ],
            options={'table': 'catalog_department', 'app': 'catalog', 'pk_attr': 'code', 'table_description': 'An agency that owns service items and mini-apps (operators are scoped by its code).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MiniApp',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=48)),
                ('department_code', fields.CharField(db_index=True, max_length=32)),
                ('name', fields.CharField(max_length=64)),
                ('release', fields.CharField(default='none', max_length=8)),
                ('live_version', fields.IntField(null=True)),
                ('stable_version', fields.IntField(null=True)),
                ('grey_regions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_miniapp', 'app': 'catalog', 'constraints': [CheckConstraint(check="release IN ('none', 'grey', 'full', 'disabled')", name='catalog_miniapp_release_known')], 'pk_attr': 'id', 'table_description': 'A published entry and its release state (the versions hold the manifests).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MiniAppVersion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('miniapp_id', fields.CharField(db_index=True, max_length=48)),
                ('number', fields.IntField()),
                ('manifest', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(max_length=12)),
                ('submitted_by', fields.BigIntField()),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reviewed_by', fields.BigIntField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_reason', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'catalog_miniapp_version', 'app': 'catalog', 'unique_together': (('miniapp_id', 'number'),), 'pk_attr': 'id', 'table_description': 'One submitted manifest and its review (states.VERSION_TRANSITIONS).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Region',
            fields=[
                ('code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=6)),
                ('name', fields.CharField(max_length=32)),
                ('parent_code', fields.CharField(null=True, db_index=True, max_length=6)),
                ('level', fields.CharField(max_length=8)),
            ],
            options={'table': 'catalog_region', 'app': 'catalog', 'pk_attr': 'code', 'table_description': 'A node of the province / city / county tree, keyed by its 6-digit division code.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SearchGram',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item_id', fields.BigIntField(db_index=True)),
                ('field', fields.CharField(max_length=8)),
                ('gram', fields.CharField(db_index=True, max_length=32)),
            ],
            options={'table': 'catalog_search_gram', 'app': 'catalog', 'unique_together': (('item_id', 'field', 'gram'),), 'pk_attr': 'id', 'table_description': 'The portable Chinese index: one row per (item, field, character bigram).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SearchLog',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('keyword', fields.CharField(db_index=True, max_length=64)),
                ('hits', fields.IntField()),
                ('channel', fields.CharField(null=True, max_length=8)),
                ('region_code', fields.CharField(null=True, max_length=6)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_search_log', 'app': 'catalog', 'pk_attr': 'id', 'table_description': "One resident search, for operators' analytics (no personal data: keyword only)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=19)),
                ('basic_code', fields.CharField(db_index=True, max_length=12)),
                ('name', fields.CharField(max_length=64)),
                ('audience', fields.CharField(max_length=8)),
                ('theme_code', fields.CharField(max_length=16)),
                ('department_code', fields.CharField(db_index=True, max_length=32)),
                ('region_code', fields.CharField(db_index=True, max_length=6)),
                ('online_level', fields.SmallIntField()),
                ('needs', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('keywords', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('guide', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='active', max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_item', 'app': 'catalog', 'constraints': [CheckConstraint(check='online_level BETWEEN 1 AND 5', name='catalog_item_online_level_1_5'), CheckConstraint(check="status IN ('active', 'retired')", name='catalog_item_status_known')], 'pk_attr': 'id', 'table_description': 'One implementation of a service item in one region (同一事项、同一编码).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Synonym',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('term', fields.CharField(db_index=True, max_length=32)),
                ('means', fields.CharField(max_length=32)),
            ],
            options={'table': 'catalog_synonym', 'app': 'catalog', 'unique_together': (('term', 'means'),), 'pk_attr': 'id', 'table_description': 'A word residents type and the official words it means (罚款 → 交通违法).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Theme',
            fields=[
                ('code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=16)),
                ('name', fields.CharField(unique=True, max_length=16)),
                ('position', fields.SmallIntField()),
            ],
            options={'table': 'catalog_theme', 'app': 'catalog', 'pk_attr': 'code', 'table_description': "One of the province's 16 life-event themes (主题)."},
            bases=['Model'],
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='ServiceItem', constraint=CheckConstraint(check="online_level BETWEEN 1 AND 5", name='catalog_item_online_level_1_5')),
        ops.AddConstraint(model_name='ServiceItem', constraint=CheckConstraint(check="status IN ('active', 'retired')", name='catalog_item_status_known')),
        ops.AddConstraint(model_name='MiniApp', constraint=CheckConstraint(check="release IN ('none', 'grey', 'full', 'disabled')", name='catalog_miniapp_release_known')),
    ]

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
            name='Case',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case_no', fields.CharField(unique=True, max_length=20)),
                ('citizen_id', fields.UUIDField(db_index=True)),
                ('item_code', fields.CharField(db_index=True, max_length=19)),
                ('item_name', fields.CharField(max_length=64)),
                ('department_code', fields.CharField(db_index=True, max_length=32)),
                ('channel', fields.CharField(max_length=8)),
                ('notify_account_id', fields.BigIntField()),
                ('status', fields.CharField(db_index=True, max_length=12)),
                ('form', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('materials', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('express_no', fields.CharField(null=True, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'case_case', 'app': 'cases', 'constraints': [CheckConstraint(check="status IN ('submitted', 'accepted', 'returned', 'approved', 'rejected', 'completed')", name='case_status_known'), CheckConstraint(check="(status IN ('rejected', 'completed')) = (finished_at IS NOT NULL)", name='case_finished_consistent')], 'pk_attr': 'id', 'table_description': 'One application (办件). ``case_no`` is the number residents quote on every channel.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CaseDesk',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('agency_id', fields.BigIntField(db_index=True)),
                ('department_code', fields.CharField(db_index=True, max_length=32)),
            ],
            options={'table': 'case_desk', 'app': 'cases', 'unique_together': (('agency_id', 'department_code'),), 'pk_attr': 'id', 'table_description': 'Which signed agency works the cases of which department.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CaseForm',
            fields=[
                ('item_code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=19)),
                ('fields_spec', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('materials_spec', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('time_limit_days', fields.SmallIntField()),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'case_form', 'app': 'cases', 'pk_attr': 'item_code', 'table_description': 'The application form of one service item: typed fields and the materials it needs.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CaseStep',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case_id', fields.BigIntField(db_index=True)),
                ('action', fields.CharField(max_length=20)),
                ('from_status', fields.CharField(max_length=12)),
                ('to_status', fields.CharField(max_length=12)),
                ('actor', fields.CharField(max_length=8)),
                ('note', fields.TextField(null=True, unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'case_step', 'app': 'cases', 'pk_attr': 'id', 'table_description': 'The timeline: every transition, who made it, when, and what it carried.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ELicence',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('citizen_id', fields.UUIDField(db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('title', fields.CharField(max_length=64)),
                ('number', fields.CharField(max_length=64)),
                ('department_code', fields.CharField(max_length=32)),
                ('case_id', fields.BigIntField(null=True)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'case_licence', 'app': 'cases', 'unique_together': (('kind', 'number'),), 'pk_attr': 'id', 'table_description': 'An electronic licence the platform holds for a citizen (电子证照), issued by a case.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Material',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('citizen_id', fields.UUIDField(db_index=True)),
                ('filename', fields.CharField(max_length=128)),
                ('content_type', fields.CharField(max_length=32)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'case_material', 'app': 'cases', 'constraints': [CheckConstraint(check="content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name='case_material_type_known')], 'pk_attr': 'id', 'table_description': 'One uploaded file of a citizen, reusable in later applications (一次采集、多方复用).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MaterialBlob',
            fields=[
                ('material_id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sealed', fields.BinaryField()),
            ],
            options={'table': 'case_material_blob', 'app': 'cases', 'pk_attr': 'material_id', 'table_description': 'The sealed bytes of one material (nonce + AES-256-GCM ciphertext).'},
            bases=['Model'],
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='Case', constraint=CheckConstraint(check="status IN ('submitted', 'accepted', 'returned', 'approved', 'rejected', 'completed')", name='case_status_known')),
        ops.AddConstraint(model_name='Case', constraint=CheckConstraint(check="(status IN ('rejected', 'completed')) = (finished_at IS NOT NULL)", name='case_finished_consistent')),
        ops.AddConstraint(model_name='Material', constraint=CheckConstraint(check="content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name='case_material_type_known')),
    ]

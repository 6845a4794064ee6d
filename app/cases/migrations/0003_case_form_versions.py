"""Versioned case forms: a version on each form, every version kept, and the version a case
was filed under. Forms defined before this migration become version 1 in the history."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('cases', '0002_case_legal_person')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CaseFormVersion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item_code', fields.CharField(max_length=19)),
                ('version', fields.IntField()),
                ('fields_spec', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('materials_spec', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('time_limit_days', fields.SmallIntField()),
                ('defined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('defined_by', fields.CharField(max_length=64)),
            ],
            options={'table': 'case_form_version', 'app': 'cases', 'unique_together': (('item_code', 'version'),), 'pk_attr': 'id', 'table_description': "Every version of every item's form: a case reads against the form it was filed under."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Case',
            name='form_version',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='CaseForm',
            name='version',
            field=fields.IntField(default=1, db_default=1),
        ),
        ops.RunSQL(
            "INSERT INTO case_form_version (item_code, version, fields_spec, materials_spec,"
            " time_limit_days, defined_at, defined_by)"
            " SELECT item_code, version, fields_spec, materials_spec, time_limit_days,"
            " updated_at, 'system' FROM case_form",
            reverse_sql="DELETE FROM case_form_version",
        ),
    ]

"""E-licences issued by a legal person's case belong to its wallet (legal_person_id), indexed
by it; AddField(db_index=True) leaves the index out (infra/schema_keys.py)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from infra import schema_keys

KEYS = [
    ("idx_case_licenc_legal_p_5e1d2a", "case_licence", ("legal_person_id",), False, False),
]


async def restore(apps, schema_editor):
    await schema_keys.ensure(schema_editor, KEYS)


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_restore_keys")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ELicence",
            name="legal_person_id",
            field=fields.BigIntField(null=True, db_index=True),
        ),
        ops.RunPython(restore, ops.RunPython.noop),
    ]

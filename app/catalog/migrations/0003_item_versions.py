"""Items get versions (draft → submitted → approved → published) and agency feeds; an item
may be a draft. Every existing item was published as it stands, so it gets version 1,
published, with its current content."""

import json

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

COLUMNS = "id, name, audience, theme_code, online_level, needs, keywords, guide, created_at"


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


async def backfill(apps, schema_editor) -> None:
    """Version 1 of every item that has none (idempotent)."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    rows = await client.execute_query_dict(
        f"SELECT {COLUMNS} FROM catalog_item WHERE latest_version = 0"
    )
    insert = (
        "INSERT INTO catalog_item_version (item_id, number, status, content, source,"
        " author_name, created_at, published_by, published_at)"
        + (
            " VALUES ($1, 1, 'published', $2::jsonb, 'system', 'system', $3, 'system', $3)"
            if postgres
            else " VALUES (?, 1, 'published', ?, 'system', 'system', ?, 'system', ?)"
        )
    )
    mark = (
        "UPDATE catalog_item SET latest_version = 1, published_version = 1 WHERE id = "
        + ("$1" if postgres else "?")
    )
    for row in rows:
        content = json.dumps(
            {
                "name": row["name"],
                "audience": row["audience"],
                "theme": row["theme_code"],
                "online_level": row["online_level"],
                "needs": _json(row["needs"]),
                "keywords": _json(row["keywords"]),
                "guide": _json(row["guide"]),
            },
            ensure_ascii=False,
        )
        at = row["created_at"]
        params = [row["id"], content, at] if postgres else [row["id"], content, at, at]
        await client.execute_query(insert, params)
        await client.execute_query(mark, [row["id"]])


class Migration(migrations.Migration):
    dependencies = [('catalog', '0002_audit_chain')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ItemFeed',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('agency_id', fields.BigIntField(db_index=True)),
                ('department_code', fields.CharField(max_length=32)),
                ('trusted', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_item_feed', 'app': 'catalog', 'unique_together': (('agency_id', 'department_code'),), 'pk_attr': 'id', 'table_description': 'An agency that syncs the items of one department from the provincial library: a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ItemVersion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item_id', fields.BigIntField(db_index=True)),
                ('number', fields.IntField()),
                ('status', fields.CharField(max_length=12)),
                ('content', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.TextField(null=True, unique=False)),
                ('source', fields.CharField(max_length=64)),
                ('author_id', fields.BigIntField(null=True)),
                ('author_name', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('submitted_by', fields.BigIntField(null=True)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reviewed_by', fields.BigIntField(null=True)),
                ('reviewer_name', fields.CharField(null=True, max_length=64)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_note', fields.TextField(null=True, unique=False)),
                ('published_by', fields.CharField(null=True, max_length=64)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_item_version', 'app': 'catalog', 'unique_together': (('item_id', 'number'),), 'pk_attr': 'id', 'table_description': 'One version of the content of an item (name, audience, theme, online level, guide)'},
            bases=['Model'],
        ),
        ops.RemoveConstraint(
            model_name='ServiceItem',
            name='catalog_item_status_known',
            fields=None,
        ),
        ops.AddField(
            model_name='ServiceItem',
            name='latest_version',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='ServiceItem',
            name='published_version',
            field=fields.IntField(null=True),
        ),
        ops.AddConstraint(
            model_name='ServiceItem',
            constraint=CheckConstraint(check="status IN ('draft', 'active', 'retired')", name='catalog_item_status_known'),
        ),
        ops.RunPython(backfill, ops.RunPython.noop),
    ]

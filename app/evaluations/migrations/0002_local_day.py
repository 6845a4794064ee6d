"""Shanghai day and month of each rating, for statistics grouped and filtered in SQL.

The columns are added nullable, filled from created_at, then made NOT NULL, and only then
indexed (SQLite rebuilds the table to change nullability, which would drop an earlier index).
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

SHANGHAI = ZoneInfo("Asia/Shanghai")
POSTGRES_BACKFILL = (
    "UPDATE evaluation SET"
    " local_date = (created_at AT TIME ZONE 'Asia/Shanghai')::date,"
    " local_month = to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
)


def _shanghai(stored: object) -> tuple[str, str]:
    at = stored if isinstance(stored, datetime) else datetime.fromisoformat(str(stored))
    day = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(SHANGHAI).date()
    return day.isoformat(), day.strftime("%Y-%m")


async def backfill(apps, schema_editor) -> None:
    """Recompute every row (idempotent: re-running it only repairs).

    PostgreSQL converts in SQL. SQLite (the demo) is done row by row in Python: its date
    functions round fractional seconds, which moves 23:59:59.9995 into the next day.
    """
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_query(POSTGRES_BACKFILL)
        return
    rows = await client.execute_query_dict("SELECT id, created_at FROM evaluation")
    for row in rows:
        day, month = _shanghai(row["created_at"])
        await client.execute_query(
            "UPDATE evaluation SET local_date = ?, local_month = ? WHERE id = ?",
            [day, month, row["id"]],
        )


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Evaluation",
            name="local_date",
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name="Evaluation",
            name="local_month",
            field=fields.CharField(max_length=7, null=True),
        ),
        ops.RunPython(backfill, reverse_code=ops.RunPython.noop),
        ops.AlterField(
            model_name="Evaluation",
            name="local_date",
            field=fields.DateField(),
        ),
        ops.AlterField(
            model_name="Evaluation",
            name="local_month",
            field=fields.CharField(max_length=7),
        ),
        ops.AddIndex(
            model_name="Evaluation",
            index=Index(fields=["local_date", "department_code"], name="evaluation_local_day"),
        ),
    ]

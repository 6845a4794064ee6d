"""The database itself refuses impossible money states, whatever the code above it does."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

pytestmark = pytest.mark.usefixtures("clean")

EXPECTED = {
    "payment_order": {"order_amount_positive", "order_refunds_within_amount"},
    "payment_refund": {"refund_amount_positive"},
    "payment_notice": {"notice_total_positive"},
}


async def test_check_constraints_exist_in_postgresql() -> None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT conrelid::regclass::text AS tbl, conname FROM pg_constraint WHERE contype = 'c'"
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["tbl"], set()).add(row["conname"])
    for table, names in EXPECTED.items():
        assert names <= found.get(table, set()), table


async def test_refunds_beyond_the_amount_are_refused_by_the_database() -> None:
    conn = connections.get("default")
    await conn.execute_script(
        "INSERT INTO citizen (id, verified, created_at) VALUES "
        "('00000000-0000-0000-0000-000000000001', false, now());"
        "INSERT INTO payment_order (order_no, citizen_id, payable_type, payable_ref, status,"
        " amount_fen, refunded_fen, description, agency_name, payer_name_enc, region_code,"
        " created_at, updated_at, expires_at) VALUES ('YWTEST', "
        "'00000000-0000-0000-0000-000000000001', 'notice', 'x', 'PAID', 100, 0, 'd', 'a', 'e',"
        " '330000', now(), now(), now())"
    )
    with pytest.raises((IntegrityError, OperationalError)):
        await conn.execute_script(
            "UPDATE payment_order SET refunded_fen = 101 WHERE order_no = 'YWTEST'"
        )
    with pytest.raises((IntegrityError, OperationalError)):
        await conn.execute_script(
            "UPDATE payment_order SET amount_fen = 0 WHERE order_no = 'YWTEST'"
        )

"""The database itself refuses impossible money states, whatever the code above it does."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

pytestmark = pytest.mark.usefixtures("clean")

EXPECTED = {
    "payment_order": {"order_amount_positive", "order_refunds_within_amount"},
    "payment_refund": {"refund_amount_positive"},
    "payment_refund_review": {"refund_review_status_known"},
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
        "INSERT INTO citizen (id, verified, text_scale, created_at) VALUES "
        "('00000000-0000-0000-0000-000000000001', false, 100, now());"
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


async def test_one_refund_per_key_per_order_and_known_review_states_only() -> None:
    conn = connections.get("default")
    await conn.execute_script(
        "INSERT INTO citizen (id, verified, text_scale, created_at) VALUES "
        "('00000000-0000-0000-0000-000000000002', false, 100, now());"
        "INSERT INTO payment_order (order_no, citizen_id, payable_type, payable_ref, status,"
        " amount_fen, refunded_fen, description, agency_name, payer_name_enc, region_code,"
        " created_at, updated_at, expires_at) VALUES ('YWKEYS', "
        "'00000000-0000-0000-0000-000000000002', 'notice', 'y', 'PAID', 100, 0, 'd', 'a', 'e',"
        " '330000', now(), now(), now());"
        "INSERT INTO payment_refund_review (order_id, channel, channel_trade_no, amount_fen,"
        " reason, created_at, status) SELECT id, 'app', 'T1', 100, 'SECOND_PAYMENT', now(),"
        " 'OPEN' FROM payment_order WHERE order_no = 'YWKEYS'"
    )
    refund = (
        "INSERT INTO payment_refund (refund_no, order_id, channel, amount_fen, reason,"
        " requested_by, status, created_at, request_key) SELECT '{no}', id, 'app', 1, 'r',"
        " 'op', 'PENDING', now(), {key} FROM payment_order WHERE order_no = 'YWKEYS'"
    )
    await conn.execute_script(refund.format(no="RFK1", key="'same-key-1'"))
    with pytest.raises((IntegrityError, OperationalError)):
        await conn.execute_script(refund.format(no="RFK2", key="'same-key-1'"))
    # Refunds domains ask for carry no key, and any number of them may exist.
    await conn.execute_script(refund.format(no="RFK3", key="NULL"))
    await conn.execute_script(refund.format(no="RFK4", key="NULL"))
    with pytest.raises((IntegrityError, OperationalError)):
        await conn.execute_script("UPDATE payment_refund_review SET status = 'GONE'")
    with pytest.raises((IntegrityError, OperationalError)):
        await conn.execute_script(
            "INSERT INTO payment_refund_review (order_id, channel, channel_trade_no,"
            " amount_fen, reason, created_at, status) SELECT order_id, channel,"
            " channel_trade_no, amount_fen, reason, now(), 'OPEN' FROM payment_refund_review"
        )

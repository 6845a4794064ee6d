"""The Redis pool's cheap readiness check must still refuse a connection that is not clean."""

from __future__ import annotations

import asyncio

from infra.redis import ReadyConnectionPool, connect


async def _settle() -> None:
    """Let the event loop deliver whatever the server sent (EOF, a stray reply)."""
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_a_connection_the_server_closed_is_replaced_before_the_next_command(
    redis_url: str,
) -> None:
    client = connect(redis_url)
    try:
        assert isinstance(client.connection_pool, ReadyConnectionPool)
        await client.set("pool:probe", b"1")
        my_id = await client.client_id()
        killer = connect(redis_url)
        try:
            assert await killer.client_kill_filter(_id=my_id) == 1
        finally:
            await killer.aclose()
        await _settle()
        assert await client.get("pool:probe") == b"1"
        assert await client.client_id() != my_id
    finally:
        await client.delete("pool:probe")
        await client.aclose()


async def test_a_connection_with_an_unread_reply_is_never_handed_out(redis_url: str) -> None:
    client = connect(redis_url)
    try:
        await client.set("pool:probe", b"right")
        pool = client.connection_pool
        dirty = await pool.get_connection("GET")
        await dirty.send_command("ECHO", "stray")  # its reply is never read
        await pool.release(dirty)
        await _settle()
        assert await client.get("pool:probe") == b"right"
        assert await client.echo("x") == b"x"
    finally:
        await client.delete("pool:probe")
        await client.aclose()


async def test_concurrent_commands_each_get_their_own_answer(redis_url: str) -> None:
    client = connect(redis_url)
    try:
        await client.mset({f"pool:k{n}": str(n) for n in range(50)})
        answers = await asyncio.gather(*(client.get(f"pool:k{n}") for n in range(50)))
        assert answers == [str(n).encode() for n in range(50)]
    finally:
        await client.delete(*[f"pool:k{n}" for n in range(50)])
        await client.aclose()

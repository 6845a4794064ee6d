"""Redis connections, and the embedded Redis the demo shares between its worker processes."""

from __future__ import annotations

import socket
import threading
from typing import Any

import redis.asyncio as aioredis
from redis._parsers import _AsyncHiredisParser
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError


class ReadyConnectionPool(aioredis.ConnectionPool):
    """A pool that hands out an idle, clean connection without waiting on the event loop.

    redis-py 5.3 checks every connection it hands out by reading its socket under a zero
    timeout, while holding a pool-wide lock (redis/redis-py#3692): per command one extra
    loop iteration, a cancelled read and a caught TimeoutError, and every command of the
    worker queued behind that lock. We cannot move to a redis-py without it (arq pins
    ``redis<6``). Whatever the server sent to an idle connection (a stray reply, or EOF when
    it closed it) has already been delivered to the connection's stream reader by the event
    loop, so looking there answers the same question without a read. Anything unusual (not
    connected, data or EOF waiting, another parser) takes the library's own checked path.
    """

    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Any:
        connection = self.get_available_connection()  # type: ignore[no-untyped-call]
        if _idle_and_clean(connection):
            return connection
        try:
            await self.ensure_connection(connection)
        except BaseException:
            await self.release(connection)
            raise
        return connection


def _idle_and_clean(connection: Any) -> bool:
    reader, writer, parser = connection._reader, connection._writer, connection._parser
    if reader is None or writer is None or not isinstance(parser, _AsyncHiredisParser):
        return False
    pending = getattr(reader, "_buffer", None)
    return (
        pending is not None
        and not pending
        and not reader.at_eof()
        and reader.exception() is None
        and not writer.transport.is_closing()
        and parser._connected
        and parser._reader is not None
        and not parser._reader.has_data()
    )


def connect(url: str) -> aioredis.Redis:
    """A client that retries a command once on a fresh connection when the server closed
    the old one (a Redis restart, an idle timeout): callers see the outage only if it lasts."""
    pool = ReadyConnectionPool.from_url(
        url,
        decode_responses=False,
        health_check_interval=30,
        retry=AsyncRetry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
    )
    return aioredis.Redis.from_pool(pool)


class EmbeddedRedis:
    """fakeredis behind a real TCP socket, so every worker process sees the same data.

    The demo starts one in the main process before Sanic forks its workers; they connect to
    it with an ordinary ``redis://`` URL, exactly as they would to a real server.
    """

    def __init__(self, host: str = "127.0.0.1", *, avoid: frozenset[int] = frozenset()) -> None:
        """Bind a free port that is none of ``avoid``: the server's own ports, which
        the kernel may otherwise hand out again when they were only reserved, not yet bound
        (Sanic binds with SO_REUSEPORT, so both would accept and split the connections)."""
        from fakeredis import TcpFakeServer

        taken = []
        while True:
            server = TcpFakeServer((host, 0), server_type="redis")
            if server.server_address[1] not in avoid:
                break
            taken.append(server)  # hold it so the next bind gets another port
        for spare in taken:
            spare.server_close()
        self._server = server
        bound, self.port = self._server.server_address[:2]
        self.host = bound if isinstance(bound, str) else bytes(bound).decode()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> EmbeddedRedis:
        self._thread.start()
        with socket.create_connection((self.host, self.port), timeout=2):
            pass
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

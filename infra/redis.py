"""Redis connections, and the embedded Redis the demo shares between its worker processes."""

from __future__ import annotations

import socket
import threading
from typing import Any

import redis.asyncio as aioredis
from redis._parsers import _AsyncHiredisParser


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
        connection = self.get_available_connection()
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
    pool = ReadyConnectionPool.from_url(url, decode_responses=False, health_check_interval=30)
    return aioredis.Redis.from_pool(pool)


class EmbeddedRedis:
    """fakeredis behind a real TCP socket, so every worker process sees the same data.

    The demo starts one in the main process before Sanic forks its workers; they connect to
    it with an ordinary ``redis://`` URL, exactly as they would to a real server.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from fakeredis import TcpFakeServer

        self._server = TcpFakeServer((host, port), server_type="redis")
        self.host, self.port = self._server.server_address[:2]
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

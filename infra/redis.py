"""Redis connections, and the embedded Redis the demo shares between its worker processes."""

from __future__ import annotations

import socket
import threading

import redis.asyncio as aioredis


def connect(url: str) -> aioredis.Redis:
    return aioredis.from_url(url, decode_responses=False, health_check_interval=30)


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

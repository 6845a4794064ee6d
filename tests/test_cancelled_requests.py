"""A request cancelled at any point never wedges the server: PostgreSQL here, the SQLite
demo in tests/test_demo_hostile.py (which shares its demo with the contract fuzzing).

Clients that reset their connection (a load balancer's probe, an impatient browser) cancel
the request's task wherever it is. Here the server is started and, from the moment its port
accepts until well after its worker is ready, requests that touch the database are sent and
reset a few milliseconds later at random. Afterwards the server must still answer from the
database.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sandbox_process import free_port

PATHS = ("/readyz", "/api/v1/institutions?kind=hall", "/api/v1/catalog?channel=wechat")


def _reset_after(port: int, path: str, delay: float) -> None:
    """Send one GET, then reset the connection (RST, not FIN) after ``delay`` seconds."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        time.sleep(delay)
    except OSError:
        pass
    finally:
        sock.close()


def _hammer_until(
    port: int, log: Path, process: subprocess.Popen[bytes], rng: random.Random
) -> int:
    """Reset requests through start-up and for three seconds of service; returns how many."""
    sent = 0
    ready_at: float | None = None
    # Starting the demo (migrations, seed) takes a minute or two on a busy 2-core machine.
    deadline = time.monotonic() + 300
    while ready_at is None or time.monotonic() < ready_at + 3:
        assert process.poll() is None, log.read_text(errors="replace")[-4000:]
        assert time.monotonic() < deadline, "the server did not start within 300 s"
        if ready_at is None and b"Worker ready" in log.read_bytes():
            ready_at = time.monotonic()
        _reset_after(port, rng.choice(PATHS), rng.random() * 0.006)
        sent += 1
        time.sleep(0.002)  # leave the server's start-up most of the machine
    return sent


def _answers(api: str) -> None:
    with httpx.Client(base_url=api, timeout=5) as client:
        for _ in range(3):
            assert client.get("/readyz").json()["checks"]["database"] == "ok"
            assert client.get("/api/v1/institutions", params={"kind": "hall"}).status_code == 200


@contextlib.contextmanager
def hammered_server(
    command: list[str], env: dict[str, str], home: Path, port: int, seed: int
) -> Iterator[Path]:
    """The server started while requests are reset, and running until the block ends;
    yields its log."""
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            sent = _hammer_until(port, log_path, process, random.Random(seed))
            assert sent > 50
            yield log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.usefixtures("database")
def test_a_postgresql_server_survives_requests_reset_during_startup_and_service(
    tmp_path: Path, env: dict[str, str]
) -> None:
    api_port = free_port()
    server_env = {
        **os.environ,
        **env,
        "YIWANG_SANDBOX_PORT": str(free_port()),
        "YIWANG_EMBEDDED_WORKER": "0",
        "YIWANG_VAR_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "app", "serve", "--workers", "1", "--port", str(api_port)]
    with hammered_server(command, server_env, tmp_path, api_port, seed=15):
        _answers(f"http://127.0.0.1:{api_port}")

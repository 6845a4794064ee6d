"""Start the sandbox as a real process on a free port, for tests that use the real SDKs."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from channels.sandbox.credentials import SandboxCredentials, load_or_create
from infra import clock


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


@dataclass(frozen=True)
class RunningSandbox:
    base_url: str
    credentials: SandboxCredentials


@contextmanager
def running_sandbox(workdir: Path, *, time_scale: float = 0.001) -> Iterator[RunningSandbox]:
    credentials_path = workdir / "sandbox-credentials.json"
    credentials = load_or_create(credentials_path)
    port = free_port()
    log = (workdir / "sandbox.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "channels.sandbox",
            "--port",
            str(port),
            "--credentials",
            str(credentials_path),
            "--time-scale",
            str(time_scale),
            # The channels' clock reads the test session's business time, so a bill's day is
            # the day the test's own clock says.
            "--clock-offset",
            str(clock.offset().total_seconds()),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url + "/sandbox/health")
        yield RunningSandbox(base_url, credentials)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()

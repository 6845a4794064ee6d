"""Starting and stopping the servers under test, each in its own process group.

Both servers are Sanic process managers with worker children; starting each in a new
session lets the harness stop the whole tree it started (by that process group's id) if the
main process does not stop its workers on SIGTERM in time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BARE = Path(__file__).resolve().parent / "bare.py"


class ServerFailed(RuntimeError):
    """A server under test exited or never answered; the message carries its log's tail."""


# Starting takes ~3 s of CPU per process (imports); on a machine shared with other work the
# wall time is many times that (90 s was seen at a load average of 18 on 2 cores).
START_TIMEOUT_S = 300

_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of ``root`` and every live descendant (from /proc), in seconds.

    CPU time a process used does not depend on how many other processes shared the cores,
    so CPU per request holds on a busy machine where requests per second do not.
    """
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(ticks.get(pid, 0) for pid in tree) / _TICKS

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Running:
    process: subprocess.Popen[bytes]
    log: Path


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_for(running: Running, url: str, *, timeout: float, expect: int = 200) -> None:
    """Poll ``url`` until it answers ``expect``; fail early if the process died."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise ServerFailed(
                f"{url}: the server exited with {running.process.returncode}\n{_tail(running.log)}"
            )
        try:
            status = httpx.get(url, timeout=2).status_code
            if status == expect:
                return
            last = f"HTTP {status}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise ServerFailed(
        f"{url} did not answer {expect} within {timeout}s ({last})\n{_tail(running.log)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # Worker children left behind by a manager that died share its process group.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def started(command: list[str], *, env: Mapping[str, str], log: Path) -> Iterator[Running]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=dict(env),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield Running(process, log)
        finally:
            _stop(process)


@contextmanager
def bare_server(port: int, workers: int, log: Path) -> Iterator[tuple[str, int]]:
    """The ceiling handler on ``port``; yields its URL and pid once it answers."""
    command = [sys.executable, str(BARE), "--port", str(port), "--workers", str(workers)]
    with started(command, env=os.environ, log=log) as running:
        url = f"http://127.0.0.1:{port}/"
        wait_for(running, url, timeout=START_TIMEOUT_S)
        yield url, running.process.pid


@contextmanager
def yiwang_server(
    *, port: int, sandbox_port: int, workers: int, env: Mapping[str, str], log: Path
) -> Iterator[Running]:
    """``python -m app serve`` the production way, with the sandbox and embedded worker."""
    command = [
        sys.executable,
        "-m",
        "app",
        "serve",
        "--workers",
        str(workers),
        "--port",
        str(port),
        "--sandbox-port",
        str(sandbox_port),
    ]
    with started(command, env={**os.environ, **env}, log=log) as running:
        wait_for(running, f"http://127.0.0.1:{port}/readyz", timeout=START_TIMEOUT_S)
        sandbox = f"http://127.0.0.1:{sandbox_port}/sandbox/health"
        wait_for(running, sandbox, timeout=START_TIMEOUT_S)
        yield running

"""One production-shaped instance on private services: ``yiwang serve --workers 2`` with the
sandbox and the embedded background worker, its own Redis and its own database."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.crypto_config import national_secrets
from tests.faults.private_services import PrivatePostgres, PrivateRedis, free_port

ROOT = Path(__file__).resolve().parents[2]


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def stack_env(database_url: str, redis_url: str, var_dir: Path, api_port: int, sandbox_port: int):  # type: ignore[no-untyped-def]
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PII_KEY": _key(),
        "PII_HASH_KEY": _key(),
        "RECEIPT_SIGNING_KEY": f"f1:{_key()}",
        **national_secrets(receipt_key_id="f2"),
        "YIWANG_SANDBOX": "1",
        # Real retry schedules: a notification refused during an outage comes again only
        # minutes later, so a test finishes in time only if the server recovers it itself.
        "YIWANG_SANDBOX_TIME_SCALE": "1",
        "YIWANG_EMBEDDED_WORKER": "1",
        "YIWANG_VAR_DIR": str(var_dir),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
        "YIWANG_SANDBOX_PORT": str(sandbox_port),
        "YIWANG_LOG_FORMAT": "json",
    }


def sanic_processes(main_pid: int) -> dict[str, int]:
    """The manager's children by Sanic process name (from each one's environment)."""
    found: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent != main_pid:
                continue
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        for variable in environ:
            if variable.startswith(b"SANIC_WORKER_NAME="):
                found[variable.split(b"=", 1)[1].decode()] = int(entry.name)
    return found


@dataclass
class Stack:
    api: str
    sandbox: str
    env: dict[str, str]
    redis: PrivateRedis
    postgres: PrivatePostgres
    database: str
    process: subprocess.Popen[bytes]
    log: Path

    def processes(self) -> dict[str, int]:
        return sanic_processes(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def wait_until_answers(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-3000:]}")
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s: {log.read_text()[-3000:]}")


def start_stack(postgres: PrivatePostgres, database: str, workdir: Path, log: Path) -> Stack:
    redis = PrivateRedis().start()
    api_port, sandbox_port = free_port(), free_port()
    env = stack_env(postgres.url(database), redis.url, workdir, api_port, sandbox_port)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--workers", "2",
             "--port", str(api_port), "--sandbox-port", str(sandbox_port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Stack(
        f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sandbox_port}", env, redis,
        postgres, database, process, log,
    )
    try:
        wait_until_answers(stack.api + "/healthz", process, log, 90)
        wait_until_answers(stack.sandbox + "/sandbox/health", process, log, 30)
    except BaseException:
        stack.stop()
        redis.kill()
        raise
    return stack

"""A `yiwang serve --demo` of its own, started in a temp dir, for the shells' tests.

The shells are judged against what a resident's phone meets: the embedded demo (SQLite,
in-process Redis, the sandbox playing the three channels and the demo data set).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.sandbox_process import free_port

ROOT = Path(__file__).resolve().parents[2]
YIWANG = Path(sys.executable).with_name("yiwang")


@dataclass(frozen=True)
class Demo:
    api: str
    sandbox: str
    workdir: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("shell-demo")
    port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["YIWANG_SANDBOX_PORT"] = str(sandbox_port)
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(YIWANG), "serve", "--demo", "--port", str(port), "--sandbox-port", str(sandbox_port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}"
    try:
        # Readiness checks are only sent once the worker is ready: a /readyz that times out
        # while the demo is still migrating and seeding leaves SQLite "down" for good
        # (reported in docs/shells.md).
        deadline, last = time.monotonic() + 180, ""
        while b"Worker ready" not in (workdir / "serve.log").read_bytes():
            if process.poll() is not None:
                raise RuntimeError((workdir / "serve.log").read_text()[-3000:])
            if time.monotonic() > deadline:
                raise RuntimeError("yiwang serve --demo did not start in 180 s")
            time.sleep(0.3)
        while True:
            try:
                answer = httpx.get(api + "/readyz", timeout=10)
                if answer.status_code == 200:
                    break
                last = answer.text
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"yiwang serve --demo is not healthy after 180 s: {last}")
            time.sleep(1)
        yield Demo(api, f"http://127.0.0.1:{sandbox_port}", workdir, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the server and its workers
            process.wait()
        log.close()

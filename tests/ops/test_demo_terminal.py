"""``yiwang serve --demo --workers 2`` as a newcomer runs it, on a terminal.

Its logs are readable text (JSON lines are for files and collectors), and ``/metrics``
answers for both worker processes: every request either of them served is counted once.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from prometheus_client.multiprocess import MultiProcessCollector

from tests.ops.scrape import sample
from tests.sandbox_process import free_port

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (INFO|WARNING|ERROR) \S+ ", re.M)
REQUESTS = 200


def _healthz_served(metrics_file: Path) -> float:
    for metric in MultiProcessCollector.merge([str(metrics_file)]):
        for found in metric.samples:
            if found.name.endswith("_count") and found.labels.get("route") == "/healthz":
                return float(found.value)
    return 0.0


def test_the_demo_on_a_terminal_logs_text_and_counts_both_workers(tmp_path: Path) -> None:
    api_port, sandbox_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("YIWANG_", "PROMETHEUS_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--demo", "--workers", "2",
         "--port", str(api_port), "--sandbox-port", str(sandbox_port)],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    seen = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    api = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 150
        while True:
            assert process.poll() is None, seen.decode(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the demo was not ready in 150 s"
            try:
                if httpx.get(api + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        for _ in range(REQUESTS):  # a new connection each time, as separate phones would
            assert httpx.get(api + "/healthz", timeout=10).status_code == 200
        scraped = httpx.get(api + "/metrics", timeout=10).text
        files = sorted((tmp_path / "var" / "metrics" / f"port-{api_port}").glob("histogram_*.db"))
        per_worker = [_healthz_served(f) for f in files]
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.close(main)
        reader.join(timeout=5)
    counted = 'method="GET",route="/healthz",status="200"'
    assert sample(
        scraped, "yiwang_http_request_duration_seconds_count",
        **dict(kv.replace('"', "").split("=") for kv in counted.split(",")),
    ) == REQUESTS
    served = [n for n in per_worker if n]
    assert len(served) == 2 and sum(served) == REQUESTS, per_worker
    printed = seen.decode(errors="replace").replace("\r\n", "\n")
    assert "yiwang: API" in printed
    assert TEXT_LINE.search(printed), printed[-3000:]
    assert not re.search(r'^\{"ts"', printed, re.M), printed[-3000:]


def test_json_lines_unless_the_demo_writes_to_a_terminal_or_it_is_asked_for(
    tmp_path: Path, monkeypatch
) -> None:
    from app.config import load_settings

    env = {"YIWANG_VAR_DIR": str(tmp_path)}
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert load_settings(env, demo=True).log_json is False
    assert load_settings({**env, "YIWANG_LOG_FORMAT": "json"}, demo=True).log_json is True
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert load_settings(env, demo=True).log_json is True
    assert load_settings({**env, "YIWANG_LOG_FORMAT": "text"}, demo=True).log_json is False

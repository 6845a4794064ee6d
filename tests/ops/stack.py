"""The production shape on one machine: nginx in front of two instances, one standalone
sandbox, two background workers, all on one PostgreSQL database and one Redis db.

Every process is started the way docs/operations.md tells an operator to start it: the
``yiwang`` commands, the environment printed by ``yiwang secrets generate --sandbox``, and
an nginx configuration rendered from the sample there. Used by tests/ops/test_production_
shape.py and by ``scripts/stack.py`` (which keeps the stack up for a person to try).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.sandbox_process import free_port

NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    client_body_temp_path {dir}/nginx-tmp/body;
    proxy_temp_path {dir}/nginx-tmp/proxy;
    fastcgi_temp_path {dir}/nginx-tmp/fastcgi;
    uwsgi_temp_path {dir}/nginx-tmp/uwsgi;
    scgi_temp_path {dir}/nginx-tmp/scgi;
{upstream}
    server {{
        listen 127.0.0.1:{port};
{locations}
    }}
}}
"""


def nginx_upstream_and_locations(instances: list[int]) -> tuple[str, str]:
    """The part an operator copies into their nginx (docs/operations.md prints the same)."""
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in instances
    )
    upstream = f"    upstream yiwang {{\n{servers}\n    }}"
    locations = """\
        # Metrics are read on each instance's own port, never through the front door.
        location = /metrics { return 404; }
        location / {
            proxy_pass http://yiwang;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A refused or reset connection (an instance that stopped or died) is retried
            # on the other instance; a request an instance has answered never is.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
            client_max_body_size 16m;
        }"""
    return upstream, locations


@dataclass
class Process:
    name: str
    command: list[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass
class Stack:
    root: Path
    env: dict[str, str]
    front_port: int
    sandbox_port: int
    instance_ports: dict[str, int]
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def front(self) -> str:
        return f"http://127.0.0.1:{self.front_port}"

    @property
    def sandbox(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def instance(self, name: str) -> str:
        return f"http://127.0.0.1:{self.instance_ports[name]}"

    # ------------------------------------------------------------------ processes

    def start(self, name: str, *, wait: bool = True) -> Process:
        process = self.processes[name]
        log = process.log.open("ab")
        # A session of its own: killing "the instance" kills its main process and workers,
        # as a machine that dies would.
        process.popen = subprocess.Popen(
            process.command,
            env={**os.environ, **self.env, **self._own_env(name)},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            start_new_session=True,
        )
        log.close()
        if wait:
            self.wait_ready(name)
        return process

    def _own_env(self, name: str) -> dict[str, str]:
        var = self.root / name
        var.mkdir(exist_ok=True)
        return {"YIWANG_VAR_DIR": str(var)}

    def wait_ready(self, name: str, timeout: float = 90.0) -> None:
        url = {
            "sandbox": f"{self.sandbox}/sandbox/health",
            "nginx": f"{self.front}/healthz",
        }.get(name)
        if name in self.instance_ports:
            url = f"{self.instance(name)}/readyz"
        deadline = time.monotonic() + timeout
        process = self.processes[name]
        if url is None:  # a worker: ready once a runner of its pool says so
            while b'ready"' not in process.log.read_bytes():
                self._still_running(process, deadline)
            return
        while True:
            self._still_running(process, deadline)
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass

    @staticmethod
    def _still_running(process: Process, deadline: float) -> None:
        if not process.alive:
            tail = process.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{process.name} exited: {tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{process.name} was not ready in time")
        time.sleep(0.2)

    def signal(self, name: str, sig: signal.Signals) -> None:
        """SIGKILL hits the whole process group (the instance); others only its main process,
        as systemd's ``KillMode=mixed`` does for SIGTERM."""
        popen = self.processes[name].popen
        assert popen is not None
        if sig == signal.SIGKILL or sig in (signal.SIGSTOP, signal.SIGCONT):
            os.killpg(popen.pid, sig)
        else:
            popen.send_signal(sig)

    def wait_exit(self, name: str, timeout: float = 60.0) -> int:
        popen = self.processes[name].popen
        assert popen is not None
        code = popen.wait(timeout=timeout)
        # Whatever a dead main process left behind (orphaned workers) goes with it.
        with suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        return code

    def stop_all(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.popen is None:
                continue
            if process.alive:
                try:
                    os.killpg(process.popen.pid, signal.SIGCONT)
                    process.popen.send_signal(signal.SIGTERM)
                    process.popen.wait(timeout=20)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            with suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGKILL)

    def yiwang(
        self, *args: str, check: bool = False, unset: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        """A one-off command with the stack's environment (drift, reconcile, agency create)."""
        env = {**os.environ, **self.env, **self._own_env("cli")}
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            env={k: v for k, v in env.items() if k not in unset},
            capture_output=True,
            text=True,
            check=check,
            cwd=self.root,
            timeout=120,
        )


def generated_secrets() -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "app", "secrets", "generate", "--sandbox"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if line and line[0] != "#")


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        raise RuntimeError("nginx is not installed (scripts/test.sh installs nginx-light)")
    return found


@contextmanager
def running_stack(
    root: Path,
    *,
    database_url: str,
    redis_url: str,
    workers_per_instance: int = 1,
    extra_env: dict[str, str] | None = None,
    keep_logs: Path | None = None,
) -> Iterator[Stack]:
    front, sandbox = free_port(), free_port()
    instances = {"instance-a": free_port(), "instance-b": free_port()}
    env = {
        **generated_secrets(),
        # Small pools: eight processes share one PostgreSQL's max_connections here.
        "DATABASE_URL": f"{database_url}{'&' if '?' in database_url else '?'}minsize=1&maxsize=5",
        "REDIS_URL": redis_url,
        "YIWANG_SANDBOX_URL": f"http://127.0.0.1:{sandbox}",
        "YIWANG_SANDBOX_TIME_SCALE": "0.001",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{front}",
        "YIWANG_PROXIES_COUNT": "1",
        "YIWANG_DRAIN_SECONDS": "1.5",
        "YIWANG_GRACE_SECONDS": "10",
        "YIWANG_OUTBOX_LEASE_SECONDS": "3",
        "APPOINTMENT_GATE_HEAL_AFTER_SECONDS": "2",
        "YIWANG_LOG_FORMAT": "json",
        **(extra_env or {}),
    }
    env.pop("YIWANG_SANDBOX", None)
    stack = Stack(root, env, front, sandbox, instances)
    upstream, locations = nginx_upstream_and_locations(list(instances.values()))
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user="user root;\n" if os.geteuid() == 0 else "",
            dir=root,
            port=front,
            upstream=upstream,
            locations=locations,
        )
    )
    yiwang = [sys.executable, "-m", "app"]
    stack.processes["sandbox"] = Process(
        "sandbox", [*yiwang, "sandbox", "--port", str(sandbox)], root / "sandbox.log"
    )
    for name, port in instances.items():
        stack.processes[name] = Process(
            name,
            [*yiwang, "serve", "--port", str(port), "--workers", str(workers_per_instance)],
            root / f"{name}.log",
        )
    for name in ("worker-1", "worker-2"):
        stack.processes[name] = Process(name, [*yiwang, "worker"], root / f"{name}.log")
    stack.processes["nginx"] = Process(
        "nginx", [nginx_binary(), "-c", str(conf), "-p", str(root)], root / "nginx.log"
    )
    try:
        subprocess.run([*yiwang, "migrate"], env={**os.environ, **env}, check=True,
                       capture_output=True, cwd=root)
        for name in stack.processes:
            stack.start(name, wait=False)
        for name in stack.processes:
            stack.wait_ready(name)
        yield stack
    finally:
        stack.stop_all()
        if keep_logs is not None:
            keep_logs.mkdir(parents=True, exist_ok=True)
            for log in root.glob("*.log"):
                shutil.copy(log, keep_logs / log.name)

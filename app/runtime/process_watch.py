"""Bringing back a server's processes that died, and telling the load balancer meanwhile.

Sanic's process manager notices a dead worker process (it marks it FAILED in the shared
worker state) but never starts it again (sanic-org/sanic#3062): a killed HTTP worker leaves
the instance at half capacity, and a killed background worker leaves receipts, payment
events and agency webhooks undelivered, while ``/healthz`` still says 200. The watch runs as
a thread of the main process, sees the dead process in the manager's own bookkeeping, logs
it, counts it and asks the manager to restart it through the manager's monitor pipe (the way
a worker asks for a reload), so the restart itself runs on the manager's own thread.

Nothing here imports Sanic: the manager is used through the few attributes read below.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.config import Settings

log = logging.getLogger("yiwang.processes")

# Process states (sanic.worker.constants.ProcessState names) of a process that runs (a
# server process acks once it serves; others stay STARTED); FAILED and COMPLETED are a
# process that ended. One being restarted does not count yet.
LIVE_STATES = frozenset({"STARTED", "ACKED", "JOINED"})
SERVING_STATES = frozenset({"ACKED", "JOINED"})
ENDED_STATES = frozenset({"FAILED", "COMPLETED"})
SERVER_GROUP = "Server"
WORKER_GROUP = "YiwangWorker"
# A process that keeps dying is restarted after a growing pause, up to the cap.
RESTART_FIRST = 0.5
RESTART_CAP = 30.0
STABLE_SECONDS = 60.0


def expected_processes(settings: Settings) -> dict[str, int]:
    """What an instance started with these settings should run, by process group."""
    expected = {SERVER_GROUP: settings.workers}
    if settings.embedded_worker:
        expected[WORKER_GROUP] = 1
    return expected


def group_of(process_name: str) -> str:
    """``Sanic-Server-1-0`` → ``Server``; ``Sanic-YiwangWorker-0`` → ``YiwangWorker``."""
    parts = process_name.split("-")
    return parts[1] if len(parts) > 2 else process_name


def live_counts(worker_state: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """Processes per group that are running, from Sanic's shared worker state."""
    counts: dict[str, int] = {}
    for name, state in worker_state.items():
        # A server process is live once it serves (it acks); a spawned one is not yet.
        live = SERVING_STATES if state.get("server") else LIVE_STATES
        if state.get("state") in live:
            counts[group_of(name)] = counts.get(group_of(name), 0) + 1
    return counts


def missing_processes(
    worker_state: Mapping[str, Mapping[str, Any]], expected: Mapping[str, int]
) -> dict[str, int]:
    """Each expected group that has fewer live processes than it should, and how many fewer."""
    counts = live_counts(worker_state)
    return {
        group: want - counts.get(group, 0)
        for group, want in expected.items()
        if counts.get(group, 0) < want
    }


@dataclass
class ProcessWatch:
    """Restarts the manager's dead processes; ``on_restart(group)`` counts each restart."""

    manager: Any  # sanic.worker.manager.WorkerManager
    on_restart: Callable[[str], None] = lambda group: None
    interval: float = 0.25
    _handled: set[tuple[str, int | None]] = field(default_factory=set)
    _pause: dict[str, float] = field(default_factory=dict)
    _last_restart: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="yiwang-process-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if getattr(self.manager, "_shutting_down", False):
                return
            try:
                self.check()
            except Exception:  # the watch must outlive a surprise in the manager's state
                log.exception("process watch: checking the worker processes failed")

    def _processes(self) -> Iterable[Any]:
        for worker in list(self.manager.workers):
            yield from list(worker.processes)

    def check(self) -> list[str]:
        """Ask for a restart of every process that ended since the last check."""
        asked = []
        for process in self._processes():
            if process.state.name not in ENDED_STATES:
                continue
            key = (process.name, process.pid)
            if key in self._handled:
                continue
            if not self._due(process.name):
                continue
            self._handled.add(key)
            log.error(
                "worker process %s (pid %s) died with exit code %s; restarting it",
                process.name,
                process.pid,
                process.exitcode,
            )
            self.on_restart(group_of(process.name))
            kwargs = getattr(process, "kwargs", None)
            if group_of(process.name) == WORKER_GROUP and isinstance(kwargs, dict):
                kwargs["restarted"] = True  # the new process counts its own restart
            self.manager.monitor_publisher.send(process.name)
            asked.append(process.name)
        return asked

    def _due(self, name: str) -> bool:
        """Backoff for a process that dies again soon after its restart (a crash loop)."""
        now = time.monotonic()
        last = self._last_restart.get(name)
        pause = self._pause.get(name, 0.0)
        if last is not None and now - last < pause:
            return False
        if last is None or now - last > STABLE_SECONDS:
            self._pause[name] = RESTART_FIRST
        else:
            self._pause[name] = min(pause * 2, RESTART_CAP)
        self._last_restart[name] = now
        return True

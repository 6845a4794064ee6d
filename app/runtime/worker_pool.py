"""``yiwang worker``: a small supervisor over one or more background worker processes.

Each process runs the job runner (app/runtime/worker.py), which already outlives PostgreSQL and
Redis outages. This parent exists for what a process cannot survive itself: being killed
(OOM, a stray signal, a crash in native code). It starts a new one in the same lease slot,
so the newcomer gives back the outbox leases the dead one held, logs it and counts it.
SIGTERM or SIGINT stops the children (each lets its jobs in flight finish) and then itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from types import FrameType

from app.config import Settings
from app.runtime.worker import run_worker_process
from infra import logs

log = logging.getLogger("yiwang.worker")

RESTART_FIRST = 0.5
RESTART_CAP = 30.0
STABLE_SECONDS = 60.0
STOP_SECONDS = 30.0


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _stop_with_parent(parent: int) -> None:
    """Have the kernel send this process SIGTERM when the supervisor dies, however it dies.

    A supervisor killed outright (SIGKILL, OOM) cannot stop its children; left running they
    would go on delivering with no one to restart or stop them. SIGTERM, not SIGKILL: the
    worker then gives its outbox leases back on the way out.
    """
    libc_name = ctypes.util.find_library("c")
    if libc_name is not None:
        ctypes.CDLL(libc_name, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def _run_child(settings: Settings, slot: str, parent: int, restarted: bool) -> None:
    _stop_with_parent(parent)
    run_worker_process(settings, slot, restarted)


@dataclass
class Slot:
    name: str
    process: BaseProcess | None = None
    started_at: float = 0.0
    pause: float = RESTART_FIRST
    restart_at: float = 0.0


@dataclass
class WorkerPool:
    settings: Settings
    size: int = 1
    on_restart: Callable[[str], None] = lambda slot: None
    slots: list[Slot] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        prefix = f"{socket.gethostname()}:{os.getpid()}"
        self.slots = [Slot(f"{prefix}:{n}") for n in range(self.size)]
        self._context = multiprocessing.get_context("spawn")

    def _start(self, slot: Slot) -> None:
        process = self._context.Process(
            target=_run_child,
            kwargs={
                "settings": self.settings,
                "slot": slot.name,
                "parent": os.getpid(),
                "restarted": slot.process is not None,
            },
            name=f"yiwang-worker-{slot.name.rsplit(':', 1)[-1]}",
        )
        process.start()
        slot.process, slot.started_at = process, time.monotonic()

    def check(self) -> None:
        """Start any slot whose process ended, after its backoff pause."""
        now = time.monotonic()
        for slot in self.slots:
            process = slot.process
            if process is None or process.is_alive() or self._stopping.is_set():
                continue
            if slot.restart_at == 0.0:
                slot.pause = (
                    RESTART_FIRST
                    if now - slot.started_at > STABLE_SECONDS
                    else min(slot.pause * 2, RESTART_CAP)
                )
                slot.restart_at = now + (0.0 if slot.pause == RESTART_FIRST else slot.pause)
                log.error(
                    "worker process %s (pid %s) died with exit code %s; restarting it",
                    slot.name,
                    process.pid,
                    process.exitcode,
                )
                self.on_restart(slot.name)
            if now >= slot.restart_at:
                slot.restart_at = 0.0
                self._start(slot)

    def alive(self) -> int:
        return sum(1 for s in self.slots if s.process is not None and s.process.is_alive())

    def stop(self, *_: object) -> None:
        self._stopping.set()

    def run(self, interval: float = 0.5) -> None:
        def on_signal(signum: int, frame: FrameType | None) -> None:
            self.stop()

        logs.configure(json_lines=self.settings.log_json)
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        for slot in self.slots:
            self._start(slot)
        log.info("background worker pool: %d processes", self.size)
        while not self._stopping.wait(interval):
            self.check()
        self._stop_children()

    def _stop_children(self) -> None:
        running = [s.process for s in self.slots if s.process is not None and s.process.is_alive()]
        for process in running:
            if process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)

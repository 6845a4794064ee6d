"""The process watch against a stand-in for Sanic's manager: what it restarts, what it leaves.

The real thing (a killed HTTP worker and a killed background worker coming back under load)
is tests/faults/; these pin the rules without starting a server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pytest

from app.runtime import process_watch
from app.runtime.process_watch import ProcessWatch, missing_processes


class State(Enum):
    STARTED = 1
    ACKED = 2
    TERMINATED = 3
    FAILED = 4
    COMPLETED = 5


@dataclass(eq=False)
class Process:
    name: str
    pid: int
    state: State = State.ACKED
    exitcode: int | None = None


@dataclass
class Worker:
    processes: set[Any]


@dataclass
class Pipe:
    sent: list[str] = field(default_factory=list)

    def send(self, message: str) -> None:
        self.sent.append(message)


@dataclass
class Manager:
    workers: list[Worker]
    monitor_publisher: Pipe = field(default_factory=Pipe)
    _shutting_down: bool = False


def _manager(*processes: Process) -> Manager:
    return Manager([Worker({p}) for p in processes])


def test_a_dead_process_is_restarted_once_logged_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = Process("Sanic-Server-0-0", 101)
    worker = Process("Sanic-YiwangWorker-0", 102)
    manager = _manager(server, worker, Process("Sanic-Server-1-0", 103))
    restarts: list[str] = []
    watch = ProcessWatch(manager, on_restart=restarts.append)
    assert watch.check() == []

    worker.state, worker.exitcode = State.FAILED, -9
    with caplog.at_level(logging.ERROR, logger="yiwang.processes"):
        assert watch.check() == ["Sanic-YiwangWorker-0"]
    assert manager.monitor_publisher.sent == ["Sanic-YiwangWorker-0"]
    assert restarts == ["YiwangWorker"]
    assert "Sanic-YiwangWorker-0 (pid 102) died with exit code -9" in caplog.text
    # Still FAILED until the manager has restarted it: asked once, not on every check.
    assert watch.check() == []
    assert manager.monitor_publisher.sent == ["Sanic-YiwangWorker-0"]


def test_a_process_stopped_on_purpose_is_left_alone() -> None:
    server = Process("Sanic-Server-0-0", 101, state=State.TERMINATED)
    manager = _manager(server)
    assert ProcessWatch(manager).check() == []
    assert manager.monitor_publisher.sent == []


def test_a_process_that_keeps_dying_is_restarted_after_a_growing_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(process_watch.time, "monotonic", lambda: now[0])
    process = Process("Sanic-YiwangWorker-0", 1, state=State.FAILED)
    manager = _manager(process)
    watch = ProcessWatch(manager)
    assert watch.check() == ["Sanic-YiwangWorker-0"]  # the first death: at once
    for pid, wait in ((2, 1.0), (3, 2.0), (4, 4.0)):
        process.pid = pid  # restarted, and dead again at once
        now[0] += 0.1
        assert watch.check() == []
        now[0] += wait
        assert watch.check() == ["Sanic-YiwangWorker-0"]
    assert len(manager.monitor_publisher.sent) == 4


def test_readiness_counts_the_processes_an_instance_should_have() -> None:
    expected = {"Server": 2, "YiwangWorker": 1}
    state = {
        "Sanic-Main": {"pid": 1},
        "Sanic-Server-0-0": {"state": "ACKED", "server": True},
        "Sanic-Server-1-0": {"state": "ACKED", "server": True},
        "Sanic-YiwangWorker-0": {"state": "STARTED"},
    }
    assert missing_processes(state, expected) == {}
    state["Sanic-Server-1-0"] = {"state": "FAILED", "server": True}
    state["Sanic-YiwangWorker-0"] = {"state": "COMPLETED"}
    assert missing_processes(state, expected) == {"Server": 1, "YiwangWorker": 1}
    # Being restarted is not back yet; a process the state no longer lists is missing too.
    del state["Sanic-YiwangWorker-0"]
    state["Sanic-Server-1-0"] = {"state": "RESTARTING", "server": True}
    assert missing_processes(state, expected) == {"Server": 1, "YiwangWorker": 1}
    state["Sanic-Server-1-0"] = {"state": "STARTED", "server": True}  # spawned, not serving
    assert missing_processes(state, expected) == {"Server": 1, "YiwangWorker": 1}
    state["Sanic-Server-1-0"] = {"state": "ACKED", "server": True}
    assert missing_processes(state, expected) == {"YiwangWorker": 1}

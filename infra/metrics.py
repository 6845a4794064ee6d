"""Prometheus metrics, counted across every process of an instance.

Sanic runs several worker processes and a scrape reaches only one of them, so the counts
live in prometheus-client's multiprocess mode: each process writes its values to memory-
mapped files in one directory per instance, and ``render`` merges the files at scrape time.
prometheus-client chooses that mode when it is first imported, from the environment
variable ``PROMETHEUS_MULTIPROC_DIR``. The composition root calls ``use_directory`` before
it starts the processes that count, so they are born with the variable set; a process that
imported this module without it (tests, one-off commands) counts in its own memory.

Labels carry only bounded values: route templates (never raw paths), methods from a fixed
set, status codes, channel names, outcome codes. Never an id, a name, a phone number, a
token or anything a client typed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST
DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# --- HTTP: one histogram; its ``_count`` is the request count by the same labels.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HTTP_REQUESTS = Histogram(
    "yiwang_http_request_duration_seconds",
    "HTTP requests by method, route template and status: latency, and counts in _count.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"

# --- Domain counters. ``channel`` is wechat|alipay|app; outcomes and codes are the stable
# upper-snake codes of the domain (a fixed set), never free text.
ORDERS = Counter(
    "yiwang_orders_total",
    "Orders by lifecycle event (created, paid, closed, refunded) and channel.",
    ["event", "channel"],
)
NOTIFICATIONS = Counter(
    "yiwang_payment_notifications_total",
    "Payment and refund notifications received from a channel, by outcome.",
    ["channel", "kind", "outcome"],
)
BOOKINGS = Counter(
    "yiwang_bookings_total",
    "Booking attempts by outcome: BOOKED, or the refusal's code (SLOT_FULL, ...).",
    ["outcome"],
)
RERELEASES = Counter(
    "yiwang_appointment_rereleases_total",
    "Freed seats held for a drawn re-release moment (held), and where they went at it"
    " (pool, offered, reclaimed).",
    ["outcome"],
)
STAFF_BOOKINGS = Counter(
    "yiwang_appointment_staff_bookings_total",
    "Kept-seat bookings made by agency staff for a resident, by outcome: BOOKED or the code.",
    ["outcome"],
)
LOTTERY_ENTRIES = Counter(
    "yiwang_lottery_entries_total",
    "Lottery entry attempts by outcome: ENTERED, or the refusal's code (SESSION_TOO_NEW, ...).",
    ["outcome"],
)
RECEIPTS = Counter(
    "yiwang_receipts_issued_total",
    "E-receipts issued, by kind (receipt, red_letter).",
    ["kind"],
)
SIGNIN_ALERTS = Counter(
    "yiwang_operator_signin_alerts_total",
    "Alerts raised by repeated failed operator sign-ins on one account (app.identity).",
)
WORK_CALENDAR_UNARRANGED = Counter(
    "yiwang_work_calendar_unarranged_days_total",
    "Days a deadline looked up in a year with no holiday arrangement loaded (so counted on "
    "weekends only), by year; load it with `yiwang calendar load`.",
    ["year"],
)
RATE_LIMIT_HITS = Counter(
    "yiwang_rate_limit_hits_total",
    "Requests turned away by a rate limit (429), by route template.",
    ["route"],
)

# --- Pools: one sample per process, summed over the processes alive now.
DB_POOL = Gauge(
    "yiwang_db_pool_connections",
    "Database connections held by this instance's pools, by state (size, idle, in_use).",
    ["state"],
    multiprocess_mode="livesum",
)
REDIS_POOL = Gauge(
    "yiwang_redis_pool_connections",
    "Redis connections held by this instance's pools, by state (open, idle, in_use).",
    ["state"],
    multiprocess_mode="livesum",
)


def http_labels(method: str, route: str | None, status: int) -> tuple[str, str, str]:
    """Labels of one request: an unknown method or an unmatched path never adds a series."""
    return (
        method if method in KNOWN_METHODS else "OTHER",
        route if route is not None else UNMATCHED_ROUTE,
        str(status) if 100 <= status <= 599 else "other",
    )


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(*http_labels(method, route, status)).observe(seconds)


def sample_pools(redis_clients: Iterable[Any]) -> None:
    """Sets this process's pool gauges from the pools themselves (asyncpg, redis-py).

    Each server worker calls it every few seconds and a scrape merges the processes, so
    the figures are at most that old. SQLite (the demo) has no pool and reports none.
    """
    from tortoise import connections

    try:
        client: Any = connections.get("default")
    except Exception:
        client = None
    if hasattr(client, "_pool"):
        # asyncpg's pool appears with the first query; until then it holds nothing.
        pool = client._pool
        size = int(pool.get_size()) if pool is not None else 0
        idle = int(pool.get_idle_size()) if pool is not None else 0
        DB_POOL.labels("size").set(size)
        DB_POOL.labels("idle").set(idle)
        DB_POOL.labels("in_use").set(size - idle)
    idle_total = in_use = 0
    for client in redis_clients:
        redis_pool = getattr(client, "connection_pool", None)
        idle_total += len(getattr(redis_pool, "_available_connections", ()))
        in_use += len(getattr(redis_pool, "_in_use_connections", ()))
    REDIS_POOL.labels("open").set(idle_total + in_use)
    REDIS_POOL.labels("idle").set(idle_total)
    REDIS_POOL.labels("in_use").set(in_use)


def multiprocess_mode() -> bool:
    """True when this process writes its values to the instance's shared directory."""
    return values.ValueClass is not values.MutexValue


def use_directory(directory: Path) -> None:
    """Start the instance's metrics afresh: an empty directory, named for processes to come.

    Files left by an earlier run of the instance are removed, or its counters would carry
    on from dead processes. Only processes started after this call count into it (the
    variable is read when prometheus-client is imported), which is why the composition root
    calls it before it starts any worker.
    """
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    os.environ[DIRECTORY_VARIABLE] = str(directory)


def mark_dead_processes(directory: Path, alive: Iterable[int] | None = None) -> list[int]:
    """Drop the live gauges of processes that are gone, so pools of a killed worker vanish.

    Counters and histograms of dead processes stay: they are what was counted, and a total
    must not go down when a worker restarts. ``alive`` defaults to asking the kernel.
    """
    alive_set = set(alive) if alive is not None else None
    dead: set[int] = set()
    for path in directory.glob("gauge_live*_*.db"):
        pid = _pid_of(path)
        if pid is None or pid in dead:
            continue
        if (pid not in alive_set) if alive_set is not None else not _process_exists(pid):
            dead.add(pid)
    for pid in dead:
        multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
    return sorted(dead)


def mark_this_process_dead(directory: Path | None) -> None:
    """Called by a process that stops cleanly: its live gauges leave with it."""
    if directory is not None and multiprocess_mode():
        multiprocess.mark_process_dead(os.getpid(), str(directory))  # type: ignore[no-untyped-call]


def render(directory: Path | None) -> bytes:
    """The Prometheus text exposition: merged over the instance's processes when it has a
    shared directory, else this process's own registry."""
    if directory is None or not multiprocess_mode():
        return generate_latest(REGISTRY)
    mark_dead_processes(directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def _pid_of(path: Path) -> int | None:
    tail = path.stem.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- Background work (issue 26): the outbox, and the processes that deliver it.
WORKER_RESTARTS = Counter(
    "yiwang_worker_restarts_total",
    "Processes started again after one died (http, background), and job runners restarted "
    "inside a worker process after an outage (job_runner).",
    ["kind"],
)
WORKER_PROCESSES = Gauge(
    "yiwang_worker_processes",
    "Worker processes alive now, by kind (http, background): one sample per live process.",
    ["kind"],
    multiprocess_mode="livesum",
)
WORKER_PROCESSES_EXPECTED = Gauge(
    "yiwang_worker_processes_expected",
    "Worker processes this instance should have, by kind (http, background).",
    ["kind"],
    multiprocess_mode="livemax",
)
OUTBOX_LAG = Gauge(
    "yiwang_outbox_lag_seconds",
    "Age of the oldest outbox event that is due and not delivered (0 when none is due).",
    multiprocess_mode="mostrecent",
)
OUTBOX_EVENTS = Gauge(
    "yiwang_outbox_events",
    "Outbox events not delivered, by kind and state: due (waiting for a worker), waiting "
    "(leased, or backing off after a failure) and dead (gave up).",
    ["kind", "state"],
    multiprocess_mode="mostrecent",
)
OUTBOX_DELIVERED = Counter(
    "yiwang_outbox_delivered_total", "Outbox events delivered, by kind.", ["kind"]
)
OUTBOX_FAILED_ATTEMPTS = Counter(
    "yiwang_outbox_failed_attempts_total",
    "Outbox delivery attempts that failed (to be retried on the backoff schedule), by kind.",
    ["kind"],
)


def record_outbox(lag_seconds: float, counts: Iterable[tuple[str, str, int]]) -> None:
    """Set the outbox gauges from one look at the table (taken when /metrics is scraped).

    A kind and state seen before but absent now is set to 0, not left at its last count.
    """
    OUTBOX_LAG.set(lag_seconds)
    seen = {(kind, state): n for kind, state, n in counts}
    for kind, state in set(seen) | _outbox_series:
        OUTBOX_EVENTS.labels(kind, state).set(seen.get((kind, state), 0))
    _outbox_series.update(seen)


_outbox_series: set[tuple[str, str]] = set()

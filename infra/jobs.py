"""The background job runner: arq (asyncio, Redis-backed, retries, cron, job ids).

Durable work (anything a resident paid for) is recorded in PostgreSQL first — the outbox —
and arq only carries the nudge to act on it. Losing Redis loses nudges, never work: the
periodic outbox sweep re-enqueues whatever is still due.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import arq.connections
import arq.worker
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.cron import CronJob, cron
from arq.typing import StartupShutdown
from arq.worker import Function, Worker
from arq.worker import func as arq_function
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

QUEUE_NAME = "yiwang:jobs"

log = logging.getLogger("yiwang.jobs")
_log_redis_info = arq.connections.log_redis_info


async def _tolerant_redis_info(redis: Any, log_func: Callable[[str], Any]) -> None:
    """arq logs the server's INFO at start; the demo's embedded Redis has no INFO command."""
    try:
        await _log_redis_info(redis, log_func)
    except RedisError:
        log_func("redis server info unavailable (embedded Redis)")


# arq.worker calls the name it imported; replace it there (it is not in arq.worker's __all__).
vars(arq.worker)["log_redis_info"] = _tolerant_redis_info

JobFunction = Callable[..., Awaitable[Any]]


def redis_settings(url: str) -> RedisSettings:
    """A command whose connection the server closed is retried on a fresh one."""
    settings = RedisSettings.from_dsn(url)
    settings.retry = AsyncRetry(ExponentialBackoff(cap=1.0, base=0.05), 3)
    settings.retry_on_error = [RedisConnectionError]
    return settings


async def open_queue(url: str) -> ArqRedis:
    return await create_pool(redis_settings(url), default_queue_name=QUEUE_NAME)


@dataclass
class JobQueue:
    """What domains use to ask for background work."""

    pool: ArqRedis

    async def enqueue(
        self,
        function: str,
        *args: Any,
        job_id: str | None = None,
        defer_by: timedelta | None = None,
    ) -> None:
        await self.pool.enqueue_job(function, *args, _job_id=job_id, _defer_by=defer_by)


def without_result(function: JobFunction) -> Function:
    """A job that keeps no result once it ends, so its job id can be enqueued again at once.

    arq refuses a job id whose result it still keeps. The outbox sweep names each delivery
    job after the event's due time; a delivery that failed before it could take its lease
    (the database was down) leaves the event due at that same time, and with a kept result
    the sweep could not ask again until the result expired.
    """
    return arq_function(function, keep_result=0)  # type: ignore[arg-type]


@dataclass
class Schedule:
    """A recurring job: run ``function`` every ``every_seconds`` (a divisor of 60) or at minutes."""

    function: JobFunction
    seconds: set[int] | None = None
    minutes: set[int] | None = None
    hours: set[int] | None = None


def every(function: JobFunction, seconds: int) -> Schedule:
    return Schedule(function, seconds=set(range(0, 60, seconds)))


@dataclass
class WorkerSpec:
    functions: Sequence[JobFunction | Function]
    schedules: Sequence[Schedule] = field(default_factory=list)
    on_startup: StartupShutdown | None = None
    on_shutdown: StartupShutdown | None = None


def _cron_jobs(schedules: Sequence[Schedule]) -> list[CronJob]:
    return [
        cron(
            s.function,  # type: ignore[arg-type]
            second=s.seconds if s.seconds is not None else {0},
            minute=s.minutes,
            hour=s.hours,
            unique=True,
            run_at_startup=False,
        )
        for s in schedules
    ]


def build_worker(spec: WorkerSpec, redis_url: str) -> Worker:
    return Worker(
        functions=list(spec.functions),  # type: ignore[arg-type]
        cron_jobs=_cron_jobs(spec.schedules),
        redis_settings=redis_settings(redis_url),
        queue_name=QUEUE_NAME,
        on_startup=spec.on_startup,
        on_shutdown=spec.on_shutdown,
        max_tries=10,
        max_jobs=10,
        job_timeout=120,
        keep_result=60,
        poll_delay=0.2,
        handle_signals=True,
    )

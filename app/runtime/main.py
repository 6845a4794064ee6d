"""The composition root: create_app(settings) wires settings, services and blueprints, and
serve(settings) runs them under Sanic's process manager.

``yiwang serve --demo`` runs everything on one machine with no services: SQLite under
./var/, an embedded Redis shared by every worker process over TCP, the channel sandbox and
the background worker as processes managed by Sanic. The production shape runs only the
HTTP workers; ``yiwang worker`` runs separately.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
from functools import partial
from typing import TYPE_CHECKING

from sanic import Sanic
from sanic.worker.loader import AppLoader
from sanic.worker.manager import WorkerManager
from sanic.worker.process import WorkerProcess

from app.config import Settings, with_redis
from app.http import (
    agency,
    catalog,
    columns,
    errors,
    fees,
    h5,
    health,
    identity,
    middleware,
    notify,
    openapi,
    operators,
    orders,
    payments_ops,
)
from app.http import appointments as appointments_http
from app.http import bundles as bundles_http
from app.http import case_setup as case_setup_http
from app.http import cases as cases_http
from app.http import evaluations as evaluations_http
from app.http import interactions as interactions_http
from app.http import items as items_http
from app.http import legal_persons as legal_persons_http
from app.http import open311 as open311_http
from app.http import open311_clients as open311_clients_http
from app.http import receipts as receipts_http
from app.http import supervision as supervision_http
from app.http import violations as violations_http
from app.runtime.process_watch import ProcessWatch
from app.runtime.services import Services, open_services
from infra import clock, heartbeats, logs, metrics
from infra.heartbeats import Heartbeat

if TYPE_CHECKING:
    from channels.sandbox.config import SandboxConfig

POOL_SAMPLE_SECONDS = 5.0


def create_app(settings: Settings, *, name: str = "yiwang") -> Sanic:
    logs.configure(json_lines=settings.log_json)
    app = Sanic(name, configure_logging=False)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_MAX_SIZE = 16 * 1024 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 30
    app.ctx.settings = settings
    app.ctx.access_log = not settings.demo or settings.log_json
    app.ctx.request_metrics = settings.ops.request_metrics
    # Requests in flight when a worker is told to stop get this long to finish.
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = settings.ops.grace_seconds
    if settings.ops.proxies_count:
        app.config.PROXIES_COUNT = settings.ops.proxies_count
    errors.install(app)
    middleware.install(app)
    columns.install(app)
    blueprints = (
        health.bp,
        openapi.bp,
        identity.bp,
        agency.bp,
        fees.bp,
        orders.bp,
        notify.bp,
        payments_ops.bp,
        catalog.bp,
        operators.bp,
        operators.console,
        items_http.bp,
        violations_http.bp,
        appointments_http.bp,
        receipts_http.bp,
        cases_http.bp,
        case_setup_http.bp,
        bundles_http.bp,
        evaluations_http.bp,
        interactions_http.bp,
        open311_clients_http.bp,
        open311_http.geo,
        legal_persons_http.bp,
        supervision_http.bp,
        supervision_http.calendar,
        h5.bp,
    )
    for blueprint in blueprints:
        app.blueprint(blueprint)

    @app.before_server_start
    async def _open(app: Sanic) -> None:
        app.ctx.services = await open_services(settings)

    @app.after_server_start
    async def _watch_pools(app: Sanic) -> None:
        app.ctx.heartbeat = Heartbeat(app.ctx.services.redis)
        app.ctx.background = [
            asyncio.create_task(_sample_pools(app.ctx.services), name="yiwang-pool-gauges"),
            asyncio.create_task(_beat(app.ctx.heartbeat), name="yiwang-heartbeat"),
        ]

    @app.before_server_stop
    async def _stop_background(app: Sanic) -> None:
        for task in app.ctx.background:
            task.cancel()
        await asyncio.gather(*app.ctx.background, return_exceptions=True)

    @app.after_server_start
    async def _recover_after_restart(app: Sanic) -> None:
        metrics.WORKER_PROCESSES.labels("http").set(1)
        for kind, count in (("http", settings.workers), ("background", settings.embedded_worker)):
            metrics.WORKER_PROCESSES_EXPECTED.labels(kind).set(int(count))
        if _restarted(app):
            metrics.WORKER_RESTARTS.labels("http").inc()
            # This process replaces one that died: notifications it was handling died with
            # it, and the channel sends them again only minutes later.
            await app.ctx.services.jobs.enqueue(
                "query_paying_after_outage", job_id=f"paying-after-restart:{os.getpid()}"
            )

    @app.after_server_stop
    async def _close(app: Sanic) -> None:
        # A clean stop says goodbye, so the worker repairs nothing after it.
        with contextlib.suppress(Exception):
            await app.ctx.heartbeat.leave()
        await app.ctx.services.close()
        metrics.mark_this_process_dead(settings.ops.metrics_dir)

    return app


def _restarted(app: Sanic) -> bool:
    """True in a server process the manager started again after its predecessor died."""
    try:
        return int(app.m.state.get("starts", 1)) > 1
    except (AttributeError, RuntimeError, KeyError):  # one process, no manager
        return False


async def _beat(heartbeat: Heartbeat) -> None:
    while True:
        with contextlib.suppress(Exception):  # Redis away: the next beat tries again
            await heartbeat.beat()
        await asyncio.sleep(heartbeats.BEAT_SECONDS)


async def _sample_pools(services: Services) -> None:
    while True:
        metrics.sample_pools((services.redis, services.jobs.pool))
        await asyncio.sleep(POOL_SAMPLE_SECONDS)


def sandbox_config(settings: Settings) -> SandboxConfig:
    from app.config import sandbox_credentials
    from channels.sandbox.config import SandboxConfig

    return SandboxConfig(
        credentials=sandbox_credentials(settings.ops, settings.sandbox_credentials_path),
        base_url=settings.sandbox_url,
        time_scale=settings.sandbox_time_scale,
        demo_people=settings.demo,
        probe_every=settings.sandbox_probe_every,
        clock_offset=settings.clock_offset,
    )


async def _serve_sandbox(config: SandboxConfig, host: str, port: int) -> None:
    from channels.sandbox.app import create_sandbox_app

    app = create_sandbox_app(config)
    server = await app.create_server(
        host=host, port=port, return_asyncio_server=True, access_log=False
    )
    if server is None:
        raise RuntimeError("the sandbox server did not start")
    await server.startup()
    await server.before_start()
    await server.after_start()
    await server.serve_forever()


def run_sandbox_process(config: SandboxConfig, host: str, port: int) -> None:
    """Entry point of the sandbox process that ``serve`` manages; stops quietly on SIGTERM."""
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(_serve_sandbox(config, host, port))


def embedded_worker_slot(settings: Settings) -> str:
    """The embedded worker's lease slot: one per instance (host and port), kept across its
    restarts, so a restarted worker takes back what the dead one held (infra/outbox)."""
    return f"{socket.gethostname()}:{settings.port}:embedded"


def with_metrics_directory(settings: Settings) -> Settings:
    """Give this instance its own, empty metrics directory before any worker starts.

    One directory per instance (two instances on one machine must not merge each other's
    counts), named in the settings so every worker process finds it.
    """
    directory = settings.ops.metrics_dir or settings.var_dir / "metrics" / f"port-{settings.port}"
    metrics.use_directory(directory)
    ops = settings.ops.model_copy(update={"metrics_dir": directory})
    return settings.model_copy(update={"ops": ops})


def drain_on_sigterm(app: Sanic, drain_seconds: float) -> None:
    """SIGTERM to the main process: fail readiness first, keep serving, then stop.

    For ``drain_seconds`` the workers keep answering while ``/readyz`` says 503, so a
    balancer that probes it moves traffic away. Then the main process lets go of its copy
    of the listening socket, so once the workers close theirs new connections are refused
    (a balancer retries those elsewhere) instead of waiting in a backlog nobody accepts;
    and Sanic's own shutdown runs: each worker stops accepting, finishes what is in flight
    within GRACEFUL_SHUTDOWN_TIMEOUT and closes its pools. A second SIGTERM, or SIGINT,
    stops at once.
    """
    manager = app.manager
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        for server_info in app.state.server_info:
            sock = server_info.settings.get("sock")
            if sock is not None:
                sock.close()
        manager.shutdown_signal(signal.SIGTERM, None)

    def on_sigterm(*_: object) -> None:
        if app.shared_ctx.draining.value or drain_seconds <= 0:
            stop()
            return
        app.shared_ctx.draining.value = 1
        logging.getLogger("yiwang.serve").info(
            "SIGTERM: draining for %.1f s (readiness fails), then stopping", drain_seconds
        )
        signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, drain_seconds)

    signal.signal(signal.SIGTERM, on_sigterm)


def serve(settings: Settings) -> None:
    # Imported here: the worker processes import this module and need none of them.
    from app.runtime.serving import prepare_database
    from infra.redis import EmbeddedRedis

    embedded: EmbeddedRedis | None = None
    if settings.embedded_redis:
        # One embedded server in this (main) process; every worker connects over TCP, so
        # nothing lives in one worker's memory that another needs.
        embedded = EmbeddedRedis(avoid=frozenset({settings.port, settings.sandbox_port})).start()
        settings = with_redis(settings, embedded.url)
    if settings.clock_start is not None:  # the demo data set is dated by business time
        clock.start_at(settings.clock_start, real=settings.clock_real)
    asyncio.run(prepare_database(settings, seed_demo=settings.demo))
    settings = with_metrics_directory(settings)

    # Sanic counts a worker's start-up in tenths of a second, in a class constant.
    WorkerProcess.THRESHOLD = WorkerManager.THRESHOLD = int(settings.ops.worker_start_seconds * 10)
    loader = AppLoader(factory=partial(create_app, settings))
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        motd=False,
        single_process=False,
    )

    @app.main_process_start
    async def _share_draining_flag(app: Sanic, _: object) -> None:
        app.shared_ctx.draining = multiprocessing.get_context("spawn").RawValue("b", 0)

    @app.main_process_ready
    async def _drain_first(app: Sanic, _: object) -> None:
        drain_on_sigterm(app, settings.ops.drain_seconds)

    @app.main_process_ready
    async def _manage_helpers(app: Sanic, _: object) -> None:
        if settings.run_sandbox:
            app.manager.manage(
                "YiwangSandbox",
                run_sandbox_process,
                {
                    "config": sandbox_config(settings),
                    "host": settings.host,
                    "port": settings.sandbox_port,
                },
                restartable=True,
            )
        if settings.embedded_worker:
            from app.runtime.worker import run_worker_process

            app.manager.manage(
                "YiwangWorker",
                run_worker_process,
                {"settings": settings, "slot": embedded_worker_slot(settings)},
                restartable=True,
            )
        # Sanic leaves a dead process dead; the watch restarts it (app/runtime/process_watch.py).
        ProcessWatch(app.manager).start()

    @app.main_process_start
    async def _announce(app: Sanic, _: object) -> None:
        print(f"yiwang: API      http://{settings.host}:{settings.port}", flush=True)
        if settings.run_sandbox:
            print(f"yiwang: sandbox  {settings.sandbox_url}", flush=True)
        if settings.demo:
            print(f"yiwang: demo data under {settings.var_dir}/ (see README)", flush=True)

    try:
        Sanic.serve(primary=app, app_loader=loader)
    finally:
        if embedded is not None:
            embedded.stop()

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
from functools import partial
from typing import TYPE_CHECKING

from sanic import Sanic
from sanic.worker.loader import AppLoader

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
from app.http import case_setup as case_setup_http
from app.http import cases as cases_http
from app.http import evaluations as evaluations_http
from app.http import interactions as interactions_http
from app.http import legal_persons as legal_persons_http
from app.http import open311 as open311_http
from app.http import receipts as receipts_http
from app.http import supervision as supervision_http
from app.http import violations as violations_http
from app.services import open_services
from infra import clock, logs

if TYPE_CHECKING:
    from channels.sandbox.config import SandboxConfig


def create_app(settings: Settings, *, name: str = "yiwang") -> Sanic:
    logs.configure(json_lines=settings.log_json)
    app = Sanic(name, configure_logging=False)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_MAX_SIZE = 16 * 1024 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 30
    app.ctx.settings = settings
    app.ctx.access_log = not settings.demo or settings.log_json
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
        violations_http.bp,
        appointments_http.bp,
        receipts_http.bp,
        cases_http.bp,
        case_setup_http.bp,
        evaluations_http.bp,
        interactions_http.bp,
        open311_http.geo,
        legal_persons_http.bp,
        supervision_http.bp,
        h5.bp,
    )
    for blueprint in blueprints:
        app.blueprint(blueprint)

    @app.before_server_start
    async def _open(app: Sanic) -> None:
        app.ctx.services = await open_services(settings)

    @app.after_server_stop
    async def _close(app: Sanic) -> None:
        await app.ctx.services.close()

    return app


def sandbox_config(settings: Settings) -> SandboxConfig:
    from channels.sandbox.config import SandboxConfig
    from channels.sandbox.credentials import load_or_create

    return SandboxConfig(
        credentials=load_or_create(settings.sandbox_credentials_path),
        base_url=settings.sandbox_url,
        time_scale=settings.sandbox_time_scale,
        demo_people=settings.demo,
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


def serve(settings: Settings) -> None:
    # Imported here: the worker processes import this module and need none of them.
    from app.serving import prepare_database
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
            )
        if settings.embedded_worker:
            from app.worker import run_worker_process

            app.manager.manage("YiwangWorker", run_worker_process, {"settings": settings})

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

"""Starting the server: migrations, the demo's embedded parts, and Sanic's process manager.

``yiwang serve --demo`` runs everything on one machine with no services: SQLite under
./var/, an embedded Redis shared by every worker process over TCP, the channel sandbox and
the background worker as processes managed by Sanic. The production shape runs only the
HTTP workers; ``yiwang worker`` runs separately.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from sanic import Sanic
from sanic.worker.loader import AppLoader

from app import schema
from app.config import Settings, with_redis
from app.main import create_app
from channels.sandbox.app import create_sandbox_app
from channels.sandbox.config import SandboxConfig
from channels.sandbox.credentials import load_or_create
from infra import db
from infra.redis import EmbeddedRedis

T = TypeVar("T")


async def prepare_database(settings: Settings, *, seed_demo: bool) -> None:
    if settings.database_url.startswith("sqlite://"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    config = schema.config(settings.database_url)
    await db.migrate(config)
    if seed_demo:
        from app.demo import seed

        await db.open_database(config)
        try:
            await seed(settings)
        finally:
            await db.close_database()


async def with_database(settings: Settings, action: Callable[[], Awaitable[T]]) -> T:
    config = schema.config(settings.database_url)
    await db.migrate(config)
    await db.open_database(config)
    try:
        return await action()
    finally:
        await db.close_database()


async def with_services(settings: Settings, action: Callable[[Any], Awaitable[T]]) -> T:
    """Run a one-off command with the same services a server worker has."""
    from app.services import open_services

    config = schema.config(settings.database_url)
    await db.migrate(config)
    services = await open_services(settings)
    try:
        return await action(services)
    finally:
        await services.close()


def sandbox_config(settings: Settings) -> SandboxConfig:
    return SandboxConfig(
        credentials=load_or_create(settings.sandbox_credentials_path),
        base_url=settings.sandbox_url,
        time_scale=settings.sandbox_time_scale,
        demo_people=settings.demo,
    )


async def _serve_sandbox(config: SandboxConfig, host: str, port: int) -> None:
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
    embedded: EmbeddedRedis | None = None
    if settings.embedded_redis:
        # One embedded server in this (main) process; every worker connects over TCP, so
        # nothing lives in one worker's memory that another needs.
        embedded = EmbeddedRedis(avoid=frozenset({settings.port, settings.sandbox_port})).start()
        settings = with_redis(settings, embedded.url)
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

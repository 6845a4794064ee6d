"""The composition root: create_app(settings) wires settings, services and blueprints."""

from __future__ import annotations

from sanic import Sanic

from app.config import Settings
from app.http import (
    agency,
    catalog,
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
from app.http import receipts as receipts_http
from app.http import supervision as supervision_http
from app.http import violations as violations_http
from app.services import open_services
from infra import logs


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
        interactions_http.geo,
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

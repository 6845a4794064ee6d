"""The provincial app (浙里办-style) sandbox: SSO, the unified cashier and app messages.

The province publishes no SDK; the wire protocol is ours, written down in
docs/channels/app.md. ``install`` adds the blueprints and keeps state on
``app.ctx.provincial``.
"""

from __future__ import annotations

from sanic import Sanic

from channels.sandbox.provincial import cashier, control, messages, sso
from channels.sandbox.provincial.state import ProvincialState


def install(app: Sanic) -> None:
    app.ctx.provincial = ProvincialState()
    app.blueprint(sso.bp)
    app.blueprint(cashier.bp)
    app.blueprint(messages.bp)
    app.blueprint(control.bp)

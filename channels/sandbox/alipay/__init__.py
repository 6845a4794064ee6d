"""The sandbox's Alipay: the open-platform gateway, the WAP cashier, bills and controls.

``install(app)`` puts an :class:`AlipayState` on ``app.ctx.alipay`` and registers the
blueprints. Signing is this package's own (``signing.py``), never python-alipay-sdk's.
"""

from __future__ import annotations

from sanic import Sanic

from channels.sandbox.alipay import bills, certificates, control, gateway
from channels.sandbox.alipay.state import AlipayState


def install(app: Sanic) -> None:
    app.ctx.alipay = AlipayState()
    app.blueprint(gateway.bp)
    app.blueprint(bills.bp)
    app.blueprint(control.bp)
    app.blueprint(certificates.bp)

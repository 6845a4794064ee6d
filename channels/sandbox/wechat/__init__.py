"""The WeChat sandbox: open platform APIs, WeChat Pay v2 and v3, and sandbox controls.

``install`` is called by channels/sandbox/app.py; the state lives on ``app.ctx.wechat``.
"""

from __future__ import annotations

from sanic import Sanic

from channels.sandbox.wechat import control, open_api, pay_api, v3_api
from channels.sandbox.wechat.state import WeChatState


def install(app: Sanic) -> None:
    app.ctx.wechat = WeChatState()
    app.blueprint(open_api.bp)
    app.blueprint(pay_api.bp)
    app.blueprint(v3_api.bp)
    app.blueprint(control.bp)

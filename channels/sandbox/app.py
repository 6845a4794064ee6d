"""The sandbox: one Sanic app that speaks WeChat's, Alipay's and the provincial app's wire
protocols, so the real SDKs can be exercised end to end without leaving the machine.

It signs and verifies with its own code (``channels/sandbox/*/signing.py``), never with
the SDKs it is testing. State lives in this process's memory: the sandbox runs with one
worker, and a restart is a fresh channel.
"""

from __future__ import annotations

from sanic import Sanic

from channels.sandbox import alipay, clock, control, provincial, wechat
from channels.sandbox.config import DEMO_PEOPLE, SandboxConfig
from channels.sandbox.notifier import Notifier
from channels.sandbox.people import People


def create_sandbox_app(config: SandboxConfig, *, name: str = "yiwang-sandbox") -> Sanic:
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    clock.keep_in_step(config.clock_offset)
    app.ctx.config = config
    app.ctx.people = People()
    if config.demo_people:
        for p in DEMO_PEOPLE:
            app.ctx.people.create(
                p.name,
                p.id_number,
                p.phone,
                wechat_openid=p.wechat_openid,
                alipay_user_id=p.alipay_user_id,
                app_user_id=p.app_user_id,
            )
    app.ctx.notifier = Notifier(time_scale=config.time_scale)
    control.install(app)
    wechat.install(app)
    alipay.install(app)
    provincial.install(app)

    @app.before_server_stop
    async def _drain(app: Sanic) -> None:
        for task in list(app.ctx.notifier._tasks):
            task.cancel()
        await app.ctx.notifier.close()

    return app

"""Signed-in residents for scenarios, made the way a real client gets one.

A person is created in the sandbox (known to WeChat, Alipay and the app), the app hands out
a login code, and ``POST /api/v1/sessions`` exchanges it for a token. Nothing is written to
the database behind the API's back.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.identity.id_numbers import with_check_digit
from bench.context import BenchContext

NAMES = ("张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十")


class SetupFailed(RuntimeError):
    """The live server or the sandbox refused a setup step; the message has its answer."""


@dataclass(frozen=True)
class Resident:
    citizen_id: str
    token: str
    id_number: str

    @property
    def authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def id_number(index: int) -> str:
    """A valid GB 11643 number, distinct per index (Hangzhou Xihu, born 1990, serial)."""
    day = 1 + index // 1000 % 28
    return with_check_digit(f"3301061990{1 + index // 28000 % 12:02d}{day:02d}{index % 1000:03d}")


def _expect(response: httpx.Response, status: int, step: str) -> dict:
    if response.status_code != status:
        raise SetupFailed(f"{step}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()


async def sign_in_resident(ctx: BenchContext, index: int = 0) -> Resident:
    """A verified resident (the app account is verified) signed in through the app channel."""
    number = id_number(index)
    person = _expect(
        await ctx.client.post(
            f"{ctx.sandbox}/sandbox/users",
            json={
                "name": NAMES[index % len(NAMES)],
                "id_number": number,
                "phone": f"138{index:08d}",
            },
        ),
        201,
        "create a sandbox person",
    )
    code = _expect(
        await ctx.client.post(
            f"{ctx.sandbox}/sandbox/app/login-codes", json={"user": person["app"]["user_id"]}
        ),
        201,
        "get an app login code",
    )["code"]
    session = _expect(
        await ctx.client.post(f"{ctx.api}/api/v1/sessions", json={"channel": "app", "code": code}),
        201,
        "sign in",
    )
    return Resident(session["citizen"]["id"], session["token"], number)

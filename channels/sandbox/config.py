"""How one sandbox instance is set up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from channels.sandbox.credentials import SandboxCredentials


@dataclass(frozen=True)
class DemoPerson:
    """A resident the demo sandbox knows from the start, with ids the README can print."""

    name: str
    id_number: str
    phone: str
    wechat_openid: str
    alipay_user_id: str
    app_user_id: str


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "张三",
        "330106199003071236",
        "13800138000",
        "o-demo-zhangsan",
        "2088000000000001",
        "zlb-demo-zhangsan",
    ),
    DemoPerson(
        "李四",
        "330102198511224569",
        "13900139000",
        "o-demo-lisi",
        "2088000000000002",
        "zlb-demo-lisi",
    ),
    DemoPerson(
        "王芳",
        "330382199508150025",
        "13700137000",
        "o-demo-wangfang",
        "2088000000000003",
        "zlb-demo-wangfang",
    ),
)


@dataclass(frozen=True)
class SandboxConfig:
    credentials: SandboxCredentials
    # Where the sandbox itself is reachable (bill download URLs, cashier pages).
    base_url: str
    # Multiplies every notification retry delay; 1.0 is the channels' real schedule.
    time_scale: float = 1.0
    # Start with DEMO_PEOPLE registered on all three channels.
    demo_people: bool = False
    # Every this-many-th WeChat Pay v3 payment notification is preceded by a signature
    # probe (WECHATPAY/SIGNTEST/…); 0 sends none unless asked at /sandbox/wechat/probes.
    probe_every: int = 10
    # How far the server's business clock runs from real time (a server started at a set
    # instant for tests): trades, payments and bills are stamped in step with it.
    clock_offset: timedelta = timedelta(0)

"""The notification storm in WeChat Pay API v2's XML (MD5-signed) at /notify/wechat/pay,
beside notify_storm's v3 in the same session, so the two APIs' costs compare directly."""

from __future__ import annotations

from bench.scenarios import Scenario
from bench.scenarios.notify_storm import check, setup_v2

SCENARIO = Scenario(
    "notify_storm_v2",
    "WeChat Pay v2 notifications, mostly duplicates: each order PAID exactly once",
    setup_v2,
    check=check,
)

"""Both mini-programs' check-in QR against a `yiwang serve --demo` of their own.

The WeChat and Alipay packages are built for the demo's API and driven by
miniprogram/test/live-appointments.mjs (wx. and my. played by fetch and a temp directory):
each lists 张三's booking by the names the server sends, downloads the QR with the bearer
token and shows a real PNG with the text code; after WeChat cancels the booking the page
says it is no longer active, and a download on its own names the server's 409 code.
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from infra import clock
from tests import tools
from tests.shells.conftest import Demo

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"



@pytest.fixture(autouse=True)
def _node_packages() -> None:
    tools.node_packages()


def book_a_hall_slot(demo: Demo, user: str) -> tuple[str, dict]:
    with httpx.Client(base_url=demo.api, timeout=30) as api:
        r = api.post("/h5/demo/sso-ticket", json={"user": user})
        assert r.status_code == 200, r.text
        r = api.post("/api/v1/sessions", json={"channel": "app", "code": r.json()["ticket"]})
        assert r.status_code == 201, r.text
        auth = {"Authorization": "Bearer " + r.json()["token"]}
        # The day after tomorrow: tomorrow's slots close at 15:00 today.
        day = (clock.shanghai_date() + timedelta(days=2)).isoformat()
        r = api.get("/api/v1/institutions", params={"kind": "hall", "region": "330100"})
        assert r.status_code == 200, r.text
        for institution in r.json()["institutions"]:
            slots = api.get(f"/api/v1/institutions/{institution['id']}/slots?date={day}").json()
            bookable = [s for s in slots.get("slots", []) if s["bookable"]]
            if bookable:
                r = api.post(
                    "/api/v1/appointments", json={"slot_id": bookable[0]["id"]}, headers=auth
                )
                assert r.status_code == 201, r.text
                assert r.json()["status"] == "booked", r.json()
                return auth["Authorization"][len("Bearer ") :], r.json()
    raise AssertionError(f"no bookable hall slot on {day}")


def test_both_mini_programs_show_the_check_in_qr_and_name_a_refusal(demo: Demo) -> None:
    token, booking = book_a_hall_slot(demo, "zlb-demo-zhangsan")
    done = subprocess.run(
        ["node", "test/live-appointments.mjs", demo.api, token, str(booking["id"])],
        cwd=MINIPROGRAM,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])

    for channel in ("alipay", "wechat"):
        seen = shown[channel]
        assert seen["error"] == "", seen
        assert seen["png"], seen
        assert len(seen["code"]) == 8 and seen["code"].isdigit(), seen  # the desk code
        assert seen["row"]["institution"] and seen["row"]["department"], seen["row"]
        assert seen["row"]["status"] == "已预约"
        assert seen["refused"] == {"code": "APPOINTMENT_NOT_ACTIVE", "status": 409}, seen
    assert shown["alipay"]["code"] == shown["wechat"]["code"]

    assert shown["afterCancel"] == {"error": "这条预约已取消或已结束。", "code": "", "qrPath": ""}

    downloads = shown["downloads"]
    assert all(d["authorization"] == "Bearer " + token for d in downloads), downloads
    ok = [d for d in downloads if d["status"] == 200]
    assert len(ok) == 2, downloads
    assert all(d["type"] == "image/png" and "no-store" in d["cache"] for d in ok), ok
    assert {d["status"] for d in downloads} == {200, 409}, downloads

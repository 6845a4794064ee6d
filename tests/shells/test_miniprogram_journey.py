"""The resident services of issue 27 in both mini-programs, against a demo of their own.

``miniprogram/test/live-journey.mjs`` drives the new pages with wx. / my. played by fetch
(WeChat rendered with miniprogram-simulate and tapped; Alipay's page logic with the same
events), and plays the department through its signed API: a notice issued to 李四 is under
我的待缴 and paid in one tap (the sandbox checks the payment as the channel would); an
application with a photo is sent back, supplemented in place, completed with an e-licence
and rated 2, which shows the rectification and its deadlines; a 12345 report goes in with a
photo, the category's attribute and the location; and 李四 acts for the demo company,
authorises an agent and revokes them. ``live-apply-form.mjs`` shows that a case form an
operator changes through the API appears on the next apply page of a package built before.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import httpx
import pytest

from infra import clock
from tests import tools
from tests.shells.conftest import Demo

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"
DEMO_USCC = "91330102MA27UY3K6Q"


@pytest.fixture(autouse=True)
def _node_packages() -> None:
    tools.node_packages()


def photo(path: Path) -> Path:
    """A real PNG (a 64×48 gradient), as a phone's camera would hand over a picture."""
    rows = b"".join(
        b"\x00" + b"".join(bytes([(x * 7) % 256, (y * 5) % 256, 128]) for x in range(64))
        for y in range(48)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def journey(demo: Demo, channel: str) -> dict:
    done = subprocess.run(
        [
            "node",
            "test/live-journey.mjs",
            channel,
            demo.api,
            demo.sandbox,
            str(demo.workdir / "var" / "demo-case-agency.json"),
            str(photo(demo.workdir / f"photo-{channel}.png")),
        ],
        cwd=MINIPROGRAM,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        # The demo runs on the tests' business clock: the department signs by it.
        env={**os.environ, "YIWANG_CLOCK_OFFSET": str(int(clock.offset().total_seconds()))},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_journey(seen: dict, rendered: bool) -> None:
    assert seen["verified"] is True
    # 我的待缴: the notice issued to 李四's ID number, masked, paid in one tap.
    payables = seen["payables"]
    assert payables["listed"] and payables["amount"] == "¥10.00" and payables["who"] == "李*"
    assert payables["receipt"].startswith("/pages/receipt/index?no="), payables
    assert payables["after"] is False, "a paid notice is no longer owed"
    assert any(status == "已支付" for _, status in seen["orders"]), seen["orders"]
    # Apply: the server's form, each type with its native control, a photo uploaded.
    apply = seen["apply"]
    assert apply["fields"] == [
        ["applicant_phone", "input", "number"],
        ["birth_date", "date", ""],
        ["bank", "choice", ""],
        ["address", "input", "text"],
    ]
    assert apply["materials"] == ["身份证", "银行卡"]
    assert apply["uploaded"]["materialId"] > 0, apply
    assert apply["error"] == "" and seen["caseNo"].isdigit(), apply
    assert ["yiwang-case-progress", "yiwang-rating-invite"] in apply["subscribed"]
    # Sent back, answered in place, completed with its e-licence.
    assert seen["returned"]["status"] == "需补正材料"
    assert seen["returned"]["note"] == "身份证照片不清晰，请重新上传"
    assert seen["supplemented"] == {
        "status": "已提交，待受理",
        "notice": "补正材料已提交，办件继续办理。",
        "error": "",
    }
    completed = seen["completed"]
    assert completed["status"] == "已办结" and completed["rateable"] is True
    assert completed["licence"]["title"] == "高龄津贴资格证明"
    assert completed["rateLink"] == f"/pages/rate/index?type=case&ref={seen['caseNo']}"
    assert "高龄津贴资格证明" in seen["wallet"]
    # Rated 2: the rectification, and by when the department answers and fixes.
    rated = seen["rated"]
    assert rated["error"] == "" and rated["model"]["bad"] is True, rated
    fix = rated["model"]["rectification"]
    assert fix["status"] == "已转办，等待部门答复"
    assert [d["step"] for d in fix["deadlines"]] == ["答复", "整改"]
    # 12345: a report with its photo, the category's attribute and the location.
    assert seen["hotline"]["error"] == "", seen["hotline"]
    assert ["FACILITY", "choice", True] in seen["hotline"]["attributes"]
    ticket = seen["ticket"]["model"]
    assert ticket["kind"] == "举报" and ticket["photos"] == 1 and ticket["located"] is True
    assert ticket["status"] == "已转办，等待答复"
    assert seen["calls"]["location"] == 1
    # Acting for the demo company; an agent authorised (masked) and revoked.
    company = seen["company"]
    assert company["acting"] == "杭州夕阳红养老服务有限公司"
    assert [r["uscc"] for r in company["rows"]] == [DEMO_USCC]
    assert company["authoriseError"] == ""
    assert company["agents"][0]["name"] == "王*" and company["agents"][0]["active"] is True
    assert company["agents"][0]["idNumber"] == "330382********0025"
    assert company["afterRevoke"][0]["status"] == "已撤销"
    assert seen["companyCases"] == {"acting": "杭州夕阳红养老服务有限公司", "error": ""}
    if rendered:
        assert "联系电话" in apply["labels"] and "收款银行" in apply["labels"]
        assert "身份证照片不清晰" in seen["returned"]["text"]
        assert "证照编号" in seen["completed"]["text"]
        assert "接下来：差评整改" in rated["text"] and "答复期限" in rated["text"]
        assert "已附位置" in seen["ticket"]["text"]


def test_the_wechat_journey_rendered_in_miniprogram_simulate(demo: Demo) -> None:
    check_journey(journey(demo, "wechat"), rendered=True)


def test_the_alipay_journey_runs_the_same_logic_against_my(demo: Demo) -> None:
    check_journey(journey(demo, "alipay"), rendered=False)


def apply_page(package: Path, demo: Demo, item: str) -> dict:
    done = subprocess.run(
        ["node", "test/live-apply-form.mjs", str(package), demo.api, demo.sandbox, item],
        cwd=MINIPROGRAM,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_form_an_operator_changes_shows_on_the_next_apply_page(
    demo: Demo, tmp_path: Path
) -> None:
    item = json.loads((demo.workdir / "var" / "demo-case-agency.json").read_text())["item_code"]
    package = tmp_path / "wechat"
    built = subprocess.run(
        ["node", "build.mjs", "--channel", "wechat", "--api-base", demo.api, "--out", str(package)],
        cwd=MINIPROGRAM,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    before = apply_page(package, demo, item)
    assert before["error"] == "" and before["fields"], before
    assert "紧急联系人电话" not in before["text"]

    operators = json.loads((demo.workdir / "var" / "demo-operators.json").read_text())
    with httpx.Client(base_url=demo.api, timeout=30) as api:
        r = api.post(
            "/api/v1/operator/sessions",
            json={"username": "admin", "password": operators["admin"]["password"]},
        )
        assert r.status_code == 201, r.text
        auth = {"Authorization": "Bearer " + r.json()["token"]}
        form = api.get(f"/api/v1/operator/items/{item}/case-form", headers=auth).json()
        fields = form["fields"] + [
            {"name": "emergency_phone", "label": "紧急联系人电话", "type": "phone"}
        ]
        r = api.put(
            f"/api/v1/operator/items/{item}/case-form",
            json={
                "fields": fields,
                "materials": form["materials"],
                "expected_version": form["version"],
                "reason": "加紧急联系人",
            },
            headers=auth,
        )
        assert r.status_code == 200, r.text

    after = apply_page(package, demo, item)
    assert after["version"] == before["version"] + 1
    assert ["emergency_phone", "紧急联系人电话", "input", "number"] in after["fields"]
    assert "紧急联系人电话" in after["text"]

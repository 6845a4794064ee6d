"""The item library against ``yiwang serve --demo``: an operator drafts an item with its guide,
the demo's reviewer approves it, the operator publishes it, and without a restart it shows
on app, WeChat and Alipay with its guide and is found by a material named only in the
guide. The refusals of the issue over HTTP, each changing nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.catalog.conftest import guide, item_body
from tests.journeys import bearer
from tests.sandbox_process import free_port

CODE = "GG-330100-00901-001"
ONLY_IN_GUIDE = "职业健康检查回执单"
CHANNELS = ("app", "wechat", "alipay")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("item-demo")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "YIWANG_VAR_DIR", "YIWANG_SANDBOX_PORT")
    }
    log_path = home / "demo.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--demo", "--port", str(port),
         "--sandbox-port", str(free_port())],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while b"Worker ready" not in log_path.read_bytes():
            assert process.poll() is None, log_path.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, "the demo did not start within 240 s"
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", home / "var"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the server and its workers
            process.wait(timeout=30)
        log.close()


async def _sign_in(api: httpx.AsyncClient, var: Path, username: str) -> dict[str, str]:
    password = json.loads((var / "demo-operators.json").read_text())[username]["password"]
    r = await api.post(
        "/api/v1/operator/sessions", json={"username": username, "password": password}
    )
    assert r.status_code == 201, r.text
    return bearer(r.json()["token"])


def _new_item(code: str = CODE) -> dict[str, Any]:
    materials = [
        *guide()["materials"],
        {"name": ONLY_IN_GUIDE, "required": True, "copies": 1, "form": "copy"},
    ]
    return item_body(
        code,
        name="从业人员健康证明申领",
        keywords=["健康证"],
        guide=guide(
            conditions=["在杭州市从事食品、公共场所服务的从业人员", "已完成结婚登记的可一并办理"],
            materials=materials,
        ),
    )


async def test_drafted_reviewed_published_and_served_on_every_channel_without_restart(
    demo: tuple[str, Path],
) -> None:
    base, var = demo
    async with httpx.AsyncClient(base_url=base, timeout=30) as api:
        author = await _sign_in(api, var, "hz-health")
        reviewer = await _sign_in(api, var, "hz-health-review")
        before = {}
        for channel in CHANNELS:
            r = await api.get("/api/v1/catalog", params={"channel": channel, "region": "330106"})
            assert r.status_code == 200 and CODE not in r.text
            before[channel] = r.headers["etag"]
        # Every seeded item has a real guide, linked from its catalog entry.
        seeded = r.json()["items"][0]
        r = await api.get(seeded["href"])
        assert r.status_code == 200, r.text
        assert r.json()["guide"]["materials"] and r.json()["guide"]["legal_basis"]

        r = await api.post("/api/v1/operator/items", json=_new_item(), headers=author)
        assert r.status_code == 201, r.text
        created = r.json()
        assert (created["status"], created["latest_version"], created["latest_status"]) == (
            "draft",
            1,
            "draft",
        )
        assert (await api.get(f"/api/v1/items/{CODE}")).status_code == 404

        r = await api.post(f"/api/v1/operator/items/{CODE}/submit", headers=author)
        assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
        r = await api.post(
            f"/api/v1/operator/items/{CODE}/review",
            json={"decision": "approve", "note": "材料清单与表单一致"},
            headers=reviewer,
        )
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
        r = await api.post(f"/api/v1/operator/items/{CODE}/publish", headers=author)
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["published_version"]) == ("active", 1)

        for channel in CHANNELS:
            r = await api.get(
                "/api/v1/catalog",
                params={"channel": channel, "region": "330106"},
                headers={"If-None-Match": before[channel]},
            )
            assert r.status_code == 200, f"{channel} still serves the old catalog"
            entry = next(i for i in r.json()["items"] if i["code"] == CODE)
            shown = await api.get(entry["href"])
            assert shown.status_code == 200
            names = [m["name"] for m in shown.json()["guide"]["materials"]]
            assert ONLY_IN_GUIDE in names
            assert shown.json()["channels"][channel]["available"] is True
            found = await api.get(
                "/api/v1/catalog/search",
                params={"q": ONLY_IN_GUIDE, "channel": channel, "region": "330106"},
            )
            assert [h["code"] for h in found.json()["results"]] == [CODE]
            assert found.json()["results"][0]["href"] == f"/api/v1/items/{CODE}"
        # Found by its guide, it ranks below an item found by name.
        r = await api.get("/api/v1/catalog/search", params={"q": "结婚登记"})
        codes = [h["code"] for h in r.json()["results"]]
        assert codes.index("QR-330100-00071-001") < codes.index(CODE)

        etag = shown.headers["etag"]
        assert (
            await api.get(f"/api/v1/items/{CODE}", headers={"If-None-Match": etag})
        ).status_code == 304


async def test_the_refusals_of_the_issue_over_http_change_nothing(
    demo: tuple[str, Path],
) -> None:
    base, var = demo
    code = "GG-330100-00902-001"
    async with httpx.AsyncClient(base_url=base, timeout=30) as api:
        author = await _sign_in(api, var, "hz-health")
        reviewer = await _sign_in(api, var, "hz-health-review")
        admin = await _sign_in(api, var, "admin")
        traffic = await _sign_in(api, var, "hz-traffic")

        async def audit_count() -> int:
            r = await api.get(
                "/api/v1/operator/audit", params={"subject": code, "limit": 100}, headers=admin
            )
            assert r.status_code == 200, r.text
            return len(r.json()["entries"])

        # A guide failing its checks: 422, every problem named, nothing stored.
        bad = _new_item(code)
        bad["online_level"] = 5
        bad["guide"] = guide(visits=1, promised_time_limit_days=99, contact="")
        r = await api.post("/api/v1/operator/items", json=bad, headers=author)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "ITEM_GUIDE_INVALID"
        fields = {p["field"] for p in r.json()["details"]["problems"]}
        assert {"guide.visits", "guide.promised_time_limit_days", "guide.contact"} <= fields
        assert (await api.get(f"/api/v1/operator/items/{code}", headers=author)).status_code == 404
        for junk in (b"[]", b"{", json.dumps({"code": 7}).encode()):
            r = await api.post(
                "/api/v1/operator/items",
                content=junk,
                headers={**author, "Content-Type": "application/json"},
            )
            assert 400 <= r.status_code < 500, (junk, r.status_code, r.text)

        # Self-review: the admin wrote it, the admin may not approve it.
        assert (
            await api.post("/api/v1/operator/items", json=_new_item(code), headers=admin)
        ).status_code == 201
        r = await api.post(f"/api/v1/operator/items/{code}/publish", headers=admin)
        assert (r.status_code, r.json()["code"]) == (409, "ITEM_NOT_REVIEWED")
        assert (
            await api.post(f"/api/v1/operator/items/{code}/submit", headers=admin)
        ).status_code == 200
        audited = await audit_count()
        r = await api.post(
            f"/api/v1/operator/items/{code}/review", json={"decision": "approve"}, headers=admin
        )
        assert (r.status_code, r.json()["code"]) == (403, "SELF_REVIEW")
        r = await api.post(f"/api/v1/operator/items/{code}/publish", headers=admin)
        assert (r.status_code, r.json()["code"]) == (409, "ITEM_NOT_REVIEWED")

        # Another department's item answers like an unknown code.
        for method, path, body in (
            ("GET", f"/api/v1/operator/items/{code}", None),
            ("PUT", f"/api/v1/operator/items/{code}", {"expected_version": 1}),
            ("POST", f"/api/v1/operator/items/{code}/publish", None),
            ("POST", f"/api/v1/operator/items/{code}/retire", {"reason": "x"}),
        ):
            r = await api.request(method, path, json=body, headers=traffic)
            assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND"), (path, r.text)
        unknown = await api.get("/api/v1/operator/items/GG-330100-00999-001", headers=traffic)
        assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")
        assert await audit_count() == audited

        # A code in use is refused; codes are never reused.
        r = await api.post("/api/v1/operator/items", json=_new_item(code), headers=author)
        assert (r.status_code, r.json()["code"]) == (409, "ITEM_CODE_TAKEN")

        # A concurrent edit loses through its expected version.
        revision = {k: v for k, v in _new_item(code).items() if k not in ("code", "department",
                                                                           "region")}  # fmt: skip
        first = await api.put(
            f"/api/v1/operator/items/{code}",
            json={**revision, "name": "甲", "expected_version": 1},
            headers=author,
        )
        assert first.status_code == 200 and first.json()["latest_version"] == 2, first.text
        audited = await audit_count()
        stale = await api.put(
            f"/api/v1/operator/items/{code}",
            json={**revision, "name": "乙", "expected_version": 1},
            headers=author,
        )
        assert (stale.status_code, stale.json()["code"]) == (409, "ITEM_CHANGED")
        assert stale.json()["details"]["latest_version"] == 2
        assert await audit_count() == audited
        detail = (await api.get(f"/api/v1/operator/items/{code}", headers=reviewer)).json()
        assert detail["latest"]["name"] == "甲"
        assert [v["status"] for v in detail["versions"]] == ["draft", "replaced"]

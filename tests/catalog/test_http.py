"""The catalog over HTTP against ``yiwang serve --workers 2``: ETag and 304, a publish seen at
once by every worker, operator sign-in apart from residents, guessed ids, parity, the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.catalog.models import AuditEntry, MiniApp
from tests.catalog.conftest import PASSWORD, make_operator, manifest

pytestmark = pytest.mark.usefixtures("clean")


async def sign_in(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await api.post(
        "/api/v1/operator/sessions", json={"username": username, "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
async def ops(seeded: int) -> None:
    await make_operator("hz-health", "department_operator", ["hz-wjw"], ["330100"])
    await make_operator("hz-health-rev", "reviewer", ["hz-wjw"], ["330100"])
    await make_operator("hz-traffic", "department_operator", ["hz-jj"], ["330100"])


async def test_the_same_service_set_on_every_channel_with_reasons_not_gaps(
    api: httpx.AsyncClient, seeded: int
) -> None:
    views = {}
    for channel in ("app", "wechat", "alipay"):
        r = await api.get("/api/v1/catalog", params={"channel": channel, "region": "330106"})
        assert r.status_code == 200, r.text
        views[channel] = r.json()
    codes = {c: [i["code"] for i in v["items"]] for c, v in views.items()}
    assert codes["app"] == codes["wechat"] == codes["alipay"]
    assert "GG-330200-00101-001" not in codes["app"]  # Ningbo's hospitals are not West Lake's
    nfc = {
        c: next(i for i in v["items"] if i["code"] == "QR-330000-00022-001")
        for c, v in views.items()
    }
    assert nfc["app"]["available"] and nfc["app"]["reason"] is None
    assert not nfc["wechat"]["available"] and "nfc" in nfc["wechat"]["reason"]
    for bad in ({"channel": "douyin", "region": "330106"}, {"channel": "app", "region": "990000"}):
        r = await api.get("/api/v1/catalog", params=bad)
        assert r.status_code == 422 and r.json()["code"] in {"INVALID_INPUT", "UNKNOWN_REGION"}


async def test_etag_gives_304_until_a_publish_then_every_worker_serves_the_new_set(
    api: httpx.AsyncClient, ops: None
) -> None:
    params = {"channel": "wechat", "region": "330106"}
    first = await api.get("/api/v1/catalog", params=params)
    etag = first.headers["etag"]
    for _ in range(6):  # both workers
        again = await api.get("/api/v1/catalog", params=params, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.headers["etag"] == etag and again.content == b""

    author, reviewer = await sign_in(api, "hz-health"), await sign_in(api, "hz-health-rev")
    r = await api.post("/api/v1/operator/miniapps", json={"manifest": manifest()}, headers=author)
    assert r.status_code == 201, r.text
    r = await api.post(
        "/api/v1/operator/miniapps/hz-clinic-booking/versions/1/review",
        json={"decision": "approve"},
        headers=reviewer,
    )
    assert r.status_code == 200, r.text
    r = await api.post(
        "/api/v1/operator/miniapps/hz-clinic-booking/versions/1/publish",
        json={"regions": ["330106"]},
        headers=author,
    )
    assert r.status_code == 200, r.text
    for _ in range(6):  # the very next request on either worker sees it
        fresh = await api.get("/api/v1/catalog", params=params, headers={"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["etag"] != etag
        assert [m["id"] for m in fresh.json()["miniapps"]] == ["hz-clinic-booking"]


async def test_operator_tokens_and_resident_tokens_do_not_cross(
    api: httpx.AsyncClient, ops: None
) -> None:
    op = await sign_in(api, "hz-health")
    assert (await api.get("/api/v1/me", headers=op)).status_code == 401
    assert (await api.get("/api/v1/operator/me", headers=op)).json()["departments"] == ["hz-wjw"]
    assert (await api.get("/api/v1/operator/me")).status_code == 401
    for _ in range(3):
        r = await api.post(
            "/api/v1/operator/sessions", json={"username": "hz-traffic", "password": "nope"}
        )
        assert r.status_code == 401 and r.json()["code"] == "OPERATOR_LOGIN_FAILED"
    # After the free tries the next one waits; the account is slowed, never locked.
    r = await api.post(
        "/api/v1/operator/sessions", json={"username": "hz-traffic", "password": PASSWORD}
    )
    assert r.status_code == 429 and r.json()["code"] == "SIGN_IN_THROTTLED"
    assert r.headers["Retry-After"] == "1"
    await asyncio.sleep(1.1)
    r = await api.post(
        "/api/v1/operator/sessions", json={"username": "hz-traffic", "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    assert (await api.delete("/api/v1/operator/sessions/current", headers=op)).status_code == 204
    for _ in range(4):
        assert (await api.get("/api/v1/operator/me", headers=op)).status_code == 401


async def test_guessed_ids_over_http_look_like_nothing_and_change_nothing(
    api: httpx.AsyncClient, ops: None
) -> None:
    author = await sign_in(api, "hz-health")
    r = await api.post("/api/v1/operator/miniapps", json={"manifest": manifest()}, headers=author)
    assert r.status_code == 201
    traffic = await sign_in(api, "hz-traffic")
    audit_before = await AuditEntry.all().count()
    missing = await api.get("/api/v1/operator/miniapps/no-such-app", headers=traffic)
    theirs = await api.get("/api/v1/operator/miniapps/hz-clinic-booking", headers=traffic)
    assert missing.status_code == theirs.status_code == 404
    assert theirs.json()["message"] == "No mini-app hz-clinic-booking."
    for path, body in (
        ("/api/v1/operator/miniapps/hz-clinic-booking/disable", {}),
        ("/api/v1/operator/miniapps/hz-clinic-booking/rollback", None),
        ("/api/v1/operator/miniapps/hz-clinic-booking/versions/1/publish", {}),
        ("/api/v1/operator/items/GG-330100-00101-001/retire", {"reason": "x"}),
    ):
        r = await api.post(path, json=body, headers=traffic)
        assert r.status_code == 404, (path, r.text)
    assert (
        await api.get("/api/v1/operator/items/GG-330100-00101-001", headers=traffic)
    ).status_code == 404
    listed = (await api.get("/api/v1/operator/miniapps", headers=traffic)).json()["miniapps"]
    assert listed == []
    audit = (await api.get("/api/v1/operator/audit", headers=traffic)).json()["entries"]
    assert all(e["department"] == "hz-jj" for e in audit)
    assert await AuditEntry.all().count() == audit_before
    assert (await MiniApp.get(id="hz-clinic-booking")).release == "none"


async def test_search_endpoint_analytics_and_parity(api: httpx.AsyncClient, ops: None) -> None:
    for q in ("挂号", "违章", "罚款", "学费", "社保", "量子护照"):
        r = await api.get(
            "/api/v1/catalog/search", params={"q": q, "channel": "alipay", "region": "330106"}
        )
        assert r.status_code == 200, r.text
        assert bool(r.json()["results"]) is (q != "量子护照"), q
    author = await sign_in(api, "hz-health")
    stats = (await api.get("/api/v1/operator/search-analytics", headers=author)).json()
    assert stats["total"] == 6 and stats["zero_hit"] == [{"keyword": "量子护照", "searches": 1}]
    parity = (await api.get("/api/v1/operator/parity", headers=author)).json()
    assert parity["ok"] and parity["unexplained"] == 0 and parity["differences"] > 0
    assert all(d["reason"] for r in parity["regions"] for d in r["differences"])


def test_cli_validates_and_submits_manifests(
    env: dict[str, str], live_server, ops: None, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "manifest.yaml"
    import yaml

    good.write_text(yaml.safe_dump(manifest(), allow_unicode=True), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            manifest(entry={"type": "h5", "url": "http://x.cn/"}, items=["GG-330100-77777-001"])
        ),
        encoding="utf-8",
    )
    run_env = {**os.environ, **env, "YIWANG_OPERATOR_PASSWORD": PASSWORD}

    def yiwang(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            env=run_env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = yiwang("miniapp", "validate", str(good))
    assert ok.returncode == 0 and '"valid": true' in ok.stdout, ok.stderr
    refused = yiwang("miniapp", "validate", str(bad))
    assert refused.returncode == 1
    assert (
        "entry.url" in refused.stderr
        and "unknown service item GG-330100-77777-001" in refused.stderr
    )
    submitted = yiwang(
        "miniapp", "submit", str(good), "--api", live_server.api, "--username", "hz-health"
    )
    assert submitted.returncode == 0, submitted.stderr
    assert '"number": 1' in submitted.stdout
    parity = yiwang("catalog", "parity")
    assert parity.returncode == 0 and '"ok": true' in parity.stdout

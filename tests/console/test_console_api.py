"""What the console needs from the operator API beyond what the shells use: audit filters,
reasons on release, rollback and unbinding, the region directory, Open311 clients, and
searches counted per day. Each refusal is a clear 4xx that changes nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from app.catalog.demo import seed_catalog
from app.catalog.models import AuditEntry
from app.interactions.models import Open311Client
from infra import clock
from tests.catalog.conftest import PASSWORD, make_operator, manifest
from tests.journeys import bearer

pytestmark = pytest.mark.usefixtures("clean")
OP = "/api/v1/operator"


async def token(api: httpx.AsyncClient, username: str) -> str:
    r = await api.post(f"{OP}/sessions", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


@pytest.fixture
async def people(api: httpx.AsyncClient) -> dict[str, str]:
    await seed_catalog()
    await make_operator("hz-health", "department_operator", ["hz-wjw"], ["330100"])
    await make_operator("hz-health-rev", "reviewer", ["hz-wjw"], ["330100"])
    await make_operator("nb-health", "department_operator", ["nb-wjw"], ["330200"])
    await make_operator("root", "platform_admin", [])
    return {
        name: await token(api, name) for name in ("hz-health", "hz-health-rev", "nb-health", "root")
    }


async def live(api: httpx.AsyncClient, people: dict[str, str], name: str, number: int) -> None:
    author, reviewer = bearer(people["hz-health"]), bearer(people["hz-health-rev"])
    r = await api.post(f"{OP}/miniapps", json={"manifest": manifest(name=name)}, headers=author)
    assert r.status_code == 201, r.text
    url = f"{OP}/miniapps/hz-clinic-booking/versions/{number}"
    r = await api.post(f"{url}/review", json={"decision": "approve"}, headers=reviewer)
    assert r.status_code == 200, r.text
    r = await api.post(
        f"{url}/publish", json={"regions": ["330106"], "reason": f"试点 v{number}"}, headers=author
    )
    assert r.status_code == 200, r.text


async def test_release_and_rollback_reasons_reach_the_audit_and_its_filters(
    api: httpx.AsyncClient, people: dict[str, str]
) -> None:
    author = bearer(people["hz-health"])
    await live(api, people, "杭州预约挂号", 1)
    r = await api.post(
        f"{OP}/miniapps/hz-clinic-booking/release",
        json={"regions": None, "reason": "全市上线"},
        headers=author,
    )
    assert r.status_code == 200 and r.json()["release"] == "full"
    await live(api, people, "杭州预约挂号（新版）", 2)
    r = await api.post(
        f"{OP}/miniapps/hz-clinic-booking/rollback", json={"reason": "x" * 501}, headers=author
    )
    assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUT"
    assert (await api.get(f"{OP}/miniapps/hz-clinic-booking", headers=author)).json()[
        "live_version"
    ] == 2
    r = await api.post(
        f"{OP}/miniapps/hz-clinic-booking/rollback", json={"reason": "入口故障"}, headers=author
    )
    assert r.status_code == 200 and r.json()["live_version"] == 1

    def audit(**params: str) -> httpx.Response:
        return api.get(f"{OP}/audit", params=params, headers=author)  # type: ignore[return-value]

    found = (await audit(subject="hz-clinic-booking", action="rollback")).json()["entries"]
    assert [(e["operator"], e["reason"]) for e in found] == [("hz-health", "入口故障")]
    assert found[0]["before"]["live_version"] == 2 and found[0]["after"]["live_version"] == 1
    reasons = [e["reason"] for e in (await audit(action="publish")).json()["entries"]]
    assert reasons == ["试点 v2", "试点 v1"]
    assert [e["reason"] for e in (await audit(action="release")).json()["entries"]] == ["全市上线"]
    by_reviewer = (await audit(operator="hz-health-rev")).json()["entries"]
    assert {e["action"] for e in by_reviewer} == {"approve"} and len(by_reviewer) == 2
    now = clock.now()
    everything = (await audit()).json()["entries"]
    assert len(everything) >= 8
    assert (await audit(since=(now - timedelta(hours=1)).isoformat())).json()[
        "entries"
    ] == everything
    assert (await audit(since=(now + timedelta(minutes=1)).isoformat())).json()["entries"] == []
    assert (await audit(until=(now - timedelta(hours=1)).isoformat())).json()["entries"] == []
    bad = await audit(since="yesterday")
    assert bad.status_code == 422 and bad.json()["code"] == "INVALID_INPUT"
    # Ningbo's operator sees none of Hangzhou's records, whatever the filter.
    other = await api.get(
        f"{OP}/audit", params={"subject": "hz-clinic-booking"}, headers=bearer(people["nb-health"])
    )
    assert other.status_code == 200 and other.json()["entries"] == []


async def test_the_directory_names_regions_and_departments(
    api: httpx.AsyncClient, people: dict[str, str]
) -> None:
    r = await api.get(f"{OP}/directory", headers=bearer(people["hz-health-rev"]))
    assert r.status_code == 200
    regions = {x["code"]: x for x in r.json()["regions"]}
    assert regions["330106"]["parent_code"] == "330100" and regions["330000"]["parent_code"] is None
    assert any(d["code"] == "hz-wjw" for d in r.json()["departments"])
    assert (await api.get(f"{OP}/directory")).status_code == 401
    themes = r.json()["themes"]
    assert len(themes) == 16 and themes[0]["name"]


async def test_the_item_list_the_pickers_use_answers_with_each_items_latest_version(
    api: httpx.AsyncClient, people: dict[str, str]
) -> None:
    r = await api.get(f"{OP}/items", headers=bearer(people["hz-health"]))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items and all(i["department"] == "hz-wjw" for i in items)
    assert all(i["latest_status"] == "published" for i in items if i["status"] == "active")


async def test_open311_clients_from_the_console_are_admin_only_and_audited(
    api: httpx.AsyncClient, people: dict[str, str]
) -> None:
    admin, clerk = bearer(people["root"]), bearer(people["hz-health"])
    url = f"{OP}/open311-clients"
    r = await api.post(url, json={"name": "网格平台"}, headers=clerk)
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    assert (await api.get(url, headers=clerk)).status_code == 403
    assert await Open311Client.all().count() == 0
    r = await api.post(url, json={"name": ""}, headers=admin)
    assert r.status_code == 422 and await Open311Client.all().count() == 0

    r = await api.post(url, json={"name": "网格平台"}, headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["api_key"].startswith("o311_") and made["api_key"].startswith(made["key_prefix"])
    listed = (await api.get(url, headers=admin)).json()["clients"]
    assert [c["name"] for c in listed] == ["网格平台"] and "api_key" not in listed[0]

    revoke = f"{url}/{made['client_id']}/revoke"
    r = await api.post(revoke, json={}, headers=admin)
    assert r.status_code == 422 and "reason" in r.json()["details"]["fields"]
    assert (await Open311Client.get(id=made["client_id"])).revoked_at is None
    r = await api.post(f"{url}/999999/revoke", json={"reason": "停止对接"}, headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "OPEN311_CLIENT_NOT_FOUND"
    r = await api.post(revoke, json={"reason": "停止对接"}, headers=admin)
    assert r.status_code == 200 and r.json()["revoked_at"]
    filed = await api.post("/open311/v2/requests.json", data={"api_key": made["api_key"]})
    assert filed.status_code == 403

    actions = (
        await AuditEntry.filter(subject_type="open311_client")
        .order_by("id")
        .values_list("action", "reason", "operator_name")
    )
    assert actions == [
        ("open311_client_create", None, "root"),
        ("open311_client_revoke", "停止对接", "root"),
    ]


async def test_unbinding_a_desk_records_its_reason(
    api: httpx.AsyncClient, people: dict[str, str], env: dict[str, str]
) -> None:
    from tests.journeys import create_agency_via_cli

    agency = create_agency_via_cli(env, kind="fees", name="杭州市卫健委受理窗口", region="330100")
    author = bearer(people["hz-health"])
    r = await api.post(
        f"{OP}/case-desks",
        json={"agency_key": agency["key"], "department_code": "hz-wjw"},
        headers=author,
    )
    assert r.status_code == 201, r.text
    desk = r.json()["id"]
    r = await api.delete(f"{OP}/case-desks/{desk}", params={"reason": "长" * 501}, headers=author)
    assert r.status_code == 422
    assert len((await api.get(f"{OP}/case-desks", headers=author)).json()["desks"]) == 1
    r = await api.delete(f"{OP}/case-desks/{desk}", params={"reason": "窗口撤并"}, headers=author)
    assert r.status_code == 204
    entry = await AuditEntry.filter(action="unbind_case_desk").get()
    assert entry.reason == "窗口撤并" and entry.operator_name == "hz-health"


async def test_search_analytics_count_each_shanghai_day(
    api: httpx.AsyncClient, people: dict[str, str]
) -> None:
    for q in ("挂号", "挂号", "宠物殡葬"):
        assert (await api.get("/api/v1/catalog/search", params={"q": q})).status_code == 200
    r = await api.get(f"{OP}/search-analytics", headers=bearer(people["hz-health"]))
    body = r.json()
    assert len(body["daily"]) == 30
    today = body["daily"][-1]
    assert today["day"] == clock.shanghai_date().isoformat()
    assert (today["searches"], today["without_results"]) == (3, 1)
    assert sum(d["searches"] for d in body["daily"][:-1]) == 0
    assert body["zero_hit"] == [{"keyword": "宠物殡葬", "searches": 1}]

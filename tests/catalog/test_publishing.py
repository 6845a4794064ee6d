"""The mini-app workflow on real PostgreSQL and Redis: submit, review by someone else, publish,
grey release by region, everywhere, rollback, disable; every step audited; views follow."""

from __future__ import annotations

import json

import pytest

from app.catalog.models import AuditEntry, MiniApp, MiniAppVersion
from app.catalog.service import Catalog
from app.errors import (
    Forbidden,
    InvalidInput,
    ManifestInvalid,
    SelfReview,
    WorkflowConflict,
)
from app.operators.auth import OperatorPrincipal
from tests.catalog.conftest import manifest

pytestmark = pytest.mark.usefixtures("clean")
People = dict[str, OperatorPrincipal]


async def view(catalog: Catalog, channel: str, region: str) -> dict:
    return json.loads((await catalog.view(channel, region)).body)


async def shown(catalog: Catalog, region: str, miniapp_id: str = "hz-clinic-booking") -> dict:
    """The mini-app's entry on each channel for the region (None where it is not shown)."""
    out = {}
    for channel in ("app", "wechat", "alipay"):
        apps = {m["id"]: m for m in (await view(catalog, channel, region))["miniapps"]}
        out[channel] = apps.get(miniapp_id)
    return out


async def approved(catalog: Catalog, people: People, **changes: object) -> int:
    version = await catalog.publishing.submit(people["author"], manifest(**changes))
    await catalog.publishing.review(
        people["reviewer"], version.miniapp_id, version.number, True, "looks right"
    )
    return version.number


async def test_the_whole_workflow_from_submit_to_everywhere(
    catalog: Catalog, people: People
) -> None:
    pub = catalog.publishing
    version = await pub.submit(people["author"], manifest())
    assert (version.number, version.status) == (1, "submitted")
    # Not published yet: nobody sees it.
    assert await shown(catalog, "330106") == {"app": None, "wechat": None, "alipay": None}
    with pytest.raises(WorkflowConflict):
        await pub.publish(people["author"], "hz-clinic-booking", 1)

    await pub.review(people["reviewer"], "hz-clinic-booking", 1, True, "")
    await pub.publish(people["author"], "hz-clinic-booking", 1, ["330106"])

    # Grey: West Lake district only, on all three channels; not the rest of Hangzhou.
    west_lake = await shown(catalog, "330106")
    assert all(e is not None and e["version"] == 1 and e["available"] for e in west_lake.values())
    for region in ("330102", "330100", "330000", "330200", "330212"):
        assert await shown(catalog, region) == {"app": None, "wechat": None, "alipay": None}

    await pub.release(people["author"], "hz-clinic-booking", None)
    for region in ("330100", "330102", "330106", "330110"):
        assert all(e is not None for e in (await shown(catalog, region)).values()), region
    for region in ("330000", "330200", "330302"):
        assert all(e is None for e in (await shown(catalog, region)).values()), region

    actions = [
        e.action for e in await AuditEntry.filter(subject_id="hz-clinic-booking").order_by("id")
    ]
    assert actions == ["submit", "approve", "publish", "release"]
    publish = await AuditEntry.get(subject_id="hz-clinic-booking", action="publish")
    assert publish.operator_name == "hz-health" and publish.operator_id == people["author"].id
    assert publish.before["release"] == "none"
    assert publish.after["release"] == "grey" and publish.after["grey_regions"] == ["330106"]


async def test_a_reviewer_may_not_review_their_own_submission_and_authors_may_not_review(
    catalog: Catalog, people: People
) -> None:
    pub = catalog.publishing
    await pub.submit(people["admin"], manifest())
    with pytest.raises(SelfReview):
        await pub.review(people["admin"], "hz-clinic-booking", 1, True, "mine")
    with pytest.raises(Forbidden):
        await pub.review(people["author"], "hz-clinic-booking", 1, True, "")
    with pytest.raises(InvalidInput):
        await pub.review(people["reviewer"], "hz-clinic-booking", 1, False, "  ")
    assert (await MiniAppVersion.get(miniapp_id="hz-clinic-booking", number=1)).status == (
        "submitted"
    )
    await pub.review(people["reviewer"], "hz-clinic-booking", 1, False, "icon is missing")
    rejected = await MiniAppVersion.get(miniapp_id="hz-clinic-booking", number=1)
    assert rejected.status == "rejected" and rejected.review_reason == "icon is missing"
    with pytest.raises(WorkflowConflict):  # a decision is final
        await pub.review(people["reviewer"], "hz-clinic-booking", 1, True, "")
    with pytest.raises(WorkflowConflict):
        await pub.publish(people["author"], "hz-clinic-booking", 1)
    reject = await AuditEntry.get(action="reject")
    assert reject.reason == "icon is missing" and reject.operator_name == "hz-health-rev"


async def test_a_new_version_goes_grey_while_the_old_one_serves_elsewhere_then_rolls_back(
    catalog: Catalog, people: People
) -> None:
    pub = catalog.publishing
    await approved(catalog, people)
    await pub.publish(people["author"], "hz-clinic-booking", 1)
    await approved(catalog, people, name="杭州预约挂号（新版）")
    await pub.publish(people["author"], "hz-clinic-booking", 2, ["330108"])

    binjiang = await shown(catalog, "330108")
    elsewhere = await shown(catalog, "330106")
    assert {e["version"] for e in binjiang.values()} == {2}
    assert {e["name"] for e in binjiang.values()} == {"杭州预约挂号（新版）"}
    assert {e["version"] for e in elsewhere.values()} == {1}

    app = await pub.rollback(people["author"], "hz-clinic-booking")
    assert (app.release, app.live_version, app.stable_version) == ("full", 1, None)
    for region in ("330108", "330106"):
        assert {e["version"] for e in (await shown(catalog, region)).values()} == {1}
    statuses = dict(
        await MiniAppVersion.filter(miniapp_id="hz-clinic-booking").values_list("number", "status")
    )
    assert statuses == {1: "live", 2: "rolled_back"}
    with pytest.raises(WorkflowConflict):  # nothing older than v1
        await pub.rollback(people["author"], "hz-clinic-booking")
    rollback = await AuditEntry.get(action="rollback")
    assert rollback.before["live_version"] == 2 and rollback.after["live_version"] == 1


async def test_disable_takes_it_off_every_channel_and_a_release_brings_it_back(
    catalog: Catalog, people: People
) -> None:
    pub = catalog.publishing
    await approved(catalog, people)
    await pub.publish(people["author"], "hz-clinic-booking", 1)
    await pub.disable(people["author"], "hz-clinic-booking", "hospital system down")
    assert await shown(catalog, "330106") == {"app": None, "wechat": None, "alipay": None}
    disable = await AuditEntry.get(action="disable")
    assert disable.reason == "hospital system down"
    await pub.release(people["author"], "hz-clinic-booking", ["330106"])
    assert all(e is not None for e in (await shown(catalog, "330106")).values())


async def test_grey_regions_must_lie_inside_the_manifest_regions(
    catalog: Catalog, people: People
) -> None:
    await approved(catalog, people)
    for regions in (["330200"], ["330000"], ["999999"], []):
        with pytest.raises(InvalidInput):
            await catalog.publishing.publish(people["author"], "hz-clinic-booking", 1, regions)
    app = await MiniApp.get(id="hz-clinic-booking")
    assert (app.release, app.live_version) == ("none", None)
    assert not await AuditEntry.filter(action="publish").exists()


async def test_a_publish_bumps_the_shared_version_so_every_worker_rebuilds(
    catalog: Catalog, people: People, redis
) -> None:  # type: ignore[no-untyped-def]
    other_worker = Catalog(redis, {})  # a second process's cache: its own memo, same Redis
    before = await other_worker.view("wechat", "330106")
    await approved(catalog, people)
    await catalog.publishing.publish(people["author"], "hz-clinic-booking", 1)
    after = await other_worker.view("wechat", "330106")
    assert after.etag != before.etag
    assert "hz-clinic-booking" in after.body.decode()


async def test_an_unavailable_channel_shows_the_entry_with_its_reason(
    catalog: Catalog, people: People
) -> None:
    await approved(
        catalog,
        people,
        channels=["app", "wechat"],
        exclusions={"alipay": "支付宝端由医院自有生活号提供"},
    )
    await catalog.publishing.publish(people["author"], "hz-clinic-booking", 1)
    entries = await shown(catalog, "330106")
    assert entries["app"]["available"] and entries["wechat"]["available"]
    assert entries["alipay"]["available"] is False
    assert entries["alipay"]["reason"] == "支付宝端由医院自有生活号提供"


async def test_manifest_problems_are_listed_together_and_nothing_is_stored(
    catalog: Catalog, people: People
) -> None:
    bad = manifest(
        items=["GG-330100-00101-001", "GG-330100-09999-001", "bogus"],
        entry={"type": "h5", "url": "http://clinic.example.cn/book"},
        channels=["wechat", "alipay"],
        capabilities=["payment", "nfc", "telepathy"],
    )
    with pytest.raises(ManifestInvalid) as caught:
        await catalog.publishing.submit(people["author"], bad)
    problems = {p["field"]: p["problem"] for p in caught.value.details["problems"]}
    assert "unknown service item GG-330100-09999-001" in problems["items[1]"]
    assert "items[2]" in problems
    assert "https" in problems["entry.url"]
    assert "lacks nfc" in problems["channels"]
    assert "capabilities[2]" in problems
    assert not await MiniApp.exists()
    assert not await AuditEntry.filter(subject_type="miniapp").exists()

    with pytest.raises(ManifestInvalid) as caught:
        await catalog.publishing.submit(people["author"], manifest(channels=["app", "wechat"]))
    assert caught.value.details["problems"][0]["field"] == "exclusions.alipay"
    with pytest.raises(ManifestInvalid) as caught:
        await catalog.publishing.submit(people["author"], manifest(unknown_key=1))
    assert caught.value.details["problems"][0]["field"] == "unknown_key"

"""The item library: draft → submit → review by a second operator → publish, every version
kept and audited; the guide checked whole; scope, self-review, unreviewed publishing,
reused codes and concurrent edits refused, changing nothing; agencies syncing items."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import redis.asyncio as aioredis

from app.agency.signing import create_agency
from app.cases.setup import define_form
from app.catalog.guides import CONTENT_KEYS, References, problems_of
from app.catalog.items import retire_item
from app.catalog.models import AuditEntry, ItemFeed, ItemVersion, SearchGram, ServiceItem
from app.catalog.service import Catalog
from app.errors import (
    Forbidden,
    ItemChanged,
    ItemCodeTaken,
    ItemGuideInvalid,
    ItemNotFound,
    ItemNotReviewed,
    ItemRetired,
    NotFound,
    SelfReview,
    WorkflowConflict,
)
from app.operators.auth import OperatorPrincipal
from app.runtime.services import case_form_materials
from tests.catalog.conftest import guide, item_body

CODE = "GG-330100-00777-001"


@pytest.fixture
async def library_catalog(redis: aioredis.Redis, seeded: int) -> Catalog:
    return Catalog(redis, form_materials=case_form_materials)


async def _counts() -> tuple[int, int, int, int]:
    return (
        await ServiceItem.all().count(),
        await ItemVersion.all().count(),
        await AuditEntry.all().count(),
        await SearchGram.all().count(),
    )


async def _version(number: int) -> ItemVersion:
    item = await ServiceItem.get(code=CODE)
    return await ItemVersion.get(item_id=item.id, number=number)


def _revision(expected: int, **changes: Any) -> dict[str, Any]:
    body = item_body(**changes)
    for key in ("code", "department", "region"):
        body.pop(key)
    return {**body, "expected_version": expected}


async def _published(catalog: Catalog, people: dict[str, OperatorPrincipal], body: dict) -> None:
    lib = catalog.items
    await lib.create(people["author"], body)
    await lib.submit(people["author"], body["code"], {})
    await lib.review(people["reviewer"], body["code"], {"decision": "approve"})
    await lib.publish(people["author"], body["code"], {})


async def test_a_draft_reviewed_by_a_second_operator_is_published_everywhere_at_once(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal]
) -> None:
    catalog, lib = library_catalog, library_catalog.items
    body = item_body(guide=guide(materials=[*guide()["materials"], _material("婴幼儿接种记录簿")]))
    before_view = await catalog.view("wechat", "330106")
    item = await lib.create(people["author"], body)
    assert (item.status, item.latest_version, item.published_version) == ("draft", 1, None)
    # A draft is nowhere: not on a channel, not by its code, not in search.
    assert CODE not in before_view.body.decode()
    with pytest.raises(ItemNotFound):
        await catalog.item(CODE)
    assert (await catalog.search("接种记录簿"))["results"] == []

    await lib.submit(people["author"], CODE, {})
    with pytest.raises(ItemNotReviewed):
        await lib.publish(people["author"], CODE, {})
    approved = await lib.review(people["reviewer"], CODE, {"decision": "approve", "note": "ok"})
    assert approved.status == "approved"
    await lib.publish(people["author"], CODE, {})

    for channel in ("app", "wechat", "alipay"):
        view = json.loads((await catalog.view(channel, "330106")).body)
        entry = next(i for i in view["items"] if i["code"] == CODE)
        assert entry["href"] == f"/api/v1/items/{CODE}"
        assert entry["available"] is True
    shown = json.loads((await catalog.item(CODE)).body)
    assert shown["version"] == 1
    assert shown["guide"]["materials"][2]["name"] == "婴幼儿接种记录簿"
    assert shown["guide"]["online_level"] == 3
    assert shown["department"] == {"code": "hz-wjw", "name": "杭州市卫生健康委员会"}
    hits = (await catalog.search("接种记录簿"))["results"]
    assert [h["code"] for h in hits] == [CODE]

    # A new version is a draft beside the published one, which keeps serving.
    await lib.revise(people["author"], CODE, _revision(1, name="健康证明开具（新版）"))
    assert json.loads((await catalog.item(CODE)).body)["name"] == "测试健康证明开具"
    await lib.submit(people["author"], CODE, {"version": 2})
    await lib.review(people["reviewer"], CODE, {"decision": "approve"})
    etag = (await catalog.item(CODE)).etag
    await lib.publish(people["author"], CODE, {"version": 2})
    now = await catalog.item(CODE)
    assert now.etag != etag
    assert json.loads(now.body)["name"] == "健康证明开具（新版）"
    states = (
        await ItemVersion.filter(item_id=item.id).order_by("number").values_list("number", "status")
    )
    assert states == [(1, "superseded"), (2, "published")]

    trail = await AuditEntry.filter(subject_id=CODE).order_by("seq")
    assert [e.action for e in trail] == [
        "item.create",
        "item.submit",
        "item.approve",
        "item.publish",
        "item.revise",
        "item.submit",
        "item.approve",
        "item.publish",
    ]
    last = trail[-1]
    assert last.before["version"] == 1 and last.before["content"]["name"] == "测试健康证明开具"
    assert last.after["version"] == 2 and last.after["content"]["name"] == "健康证明开具（新版）"
    assert last.operator_name == "hz-health"


def _material(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "required": True, "copies": 1, "form": "original", **extra}


async def test_a_guide_is_checked_whole_and_every_problem_is_named_nothing_stored(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal]
) -> None:
    before = await _counts()
    bad = guide(
        conditions=[],
        materials=[
            _material("居民身份证", licence_type="passport_of_mars"),
            _material("居民身份证"),
            {"name": "照片", "required": "yes", "copies": 0, "form": "scan"},
        ],
        fees=[{"item_code": "999999", "name": "不存在的收费", "standard_fen": 100}],
        legal_time_limit_days=5,
        promised_time_limit_days=9,
        places=[{"name": "窗口", "address": "某地", "hours": "全天", "phone": "call me"}],
        visits=1,
        contact="",
        colour="blue",
    )
    with pytest.raises(ItemGuideInvalid) as refused:
        await library_catalog.items.create(
            people["author"], item_body(online_level=5, theme="nope", guide=bad)
        )
    named = {(p["field"], p["problem"]) for p in refused.value.details["problems"]}
    fields = {f for f, _ in named}
    assert {
        "theme",
        "guide.colour",
        "guide.conditions",
        "guide.materials[0].licence_type",
        "guide.materials[1].name",
        "guide.materials[2].required",
        "guide.materials[2].copies",
        "guide.materials[2].form",
        "guide.fees[0].item_code",
        "guide.promised_time_limit_days",
        "guide.places[0].phone",
        "guide.visits",
        "guide.contact",
    } <= fields
    assert ("guide.visits", "online level 5 (全程网办) means 0 visits") in named
    assert await _counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"online_level": 2, "guide": guide(visits=0)}, "guide.visits"),
        ({"guide": guide(visits=1, places=[])}, "guide.places"),
        ({"guide": guide(online_level=4)}, "guide.online_level"),
        (
            {"guide": guide(fees=[{"item_code": "103001", "name": "高考", "standard_fen": 1}])},
            "guide.fees[0].standard_fen",
        ),
        ({"region": "330200"}, "region"),
        ({"needs": ["telepathy"]}, "needs"),
    ],
)
async def test_each_rule_of_the_guide_is_named(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal], changes: dict, field: str
) -> None:
    before = await _counts()
    with pytest.raises(ItemGuideInvalid) as refused:
        await library_catalog.items.create(people["author"], item_body(**changes))
    assert field in {p["field"] for p in refused.value.details["problems"]}
    assert await _counts() == before


async def test_a_fee_quoting_a_registered_fee_item_passes(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal]
) -> None:
    fees = [{"item_code": "103001", "name": "普通高考报名考试费", "standard_fen": 12000}]
    item = await library_catalog.items.create(people["author"], item_body(guide=guide(fees=fees)))
    assert item.status == "draft"


async def test_the_guide_must_list_what_the_case_form_requires(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal]
) -> None:
    lib = library_catalog.items
    await _published(library_catalog, people, item_body())
    await define_form(
        CODE,
        [{"name": "phone", "label": "电话", "type": "phone", "required": True}],
        [{"name": "居民身份证", "required": True}, {"name": "体检报告", "required": True},
         {"name": "近期免冠照片", "required": True}],
    )  # fmt: skip
    report = await lib.agreement(people["reviewer"], CODE)
    assert report["agrees"] is False
    assert {p["problem"] for p in report["problems"]} == {
        "the case form requires 体检报告; the guide does not list it",
        "the case form requires 近期免冠照片; the guide marks it optional",
    }
    before = await _counts()
    with pytest.raises(ItemGuideInvalid):
        await lib.revise(people["author"], CODE, _revision(1, name="改名"))
    assert await _counts() == before
    fixed = guide(
        materials=[
            _material("居民身份证"),
            _material("体检报告", form="copy"),
            _material("近期免冠照片", copies=2),
        ]
    )
    await lib.revise(people["author"], CODE, _revision(1, guide=fixed))
    assert (await ServiceItem.get(code=CODE)).latest_version == 2


async def test_self_review_is_refused_and_so_is_every_out_of_order_step(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal]
) -> None:
    lib = library_catalog.items
    admin = people["admin"]
    await lib.create(admin, item_body())
    with pytest.raises(WorkflowConflict):
        await lib.review(people["reviewer"], CODE, {"decision": "approve"})  # not submitted
    await lib.submit(admin, CODE, {})
    before = await _counts()
    with pytest.raises(SelfReview):
        await lib.review(admin, CODE, {"decision": "approve"})
    with pytest.raises(Forbidden):
        await lib.review(people["author"], CODE, {"decision": "approve"})  # not a reviewer
    with pytest.raises(Forbidden):
        await lib.publish(people["reviewer"], CODE, {})  # reviewers do not publish
    with pytest.raises(ItemNotReviewed):
        await lib.publish(admin, CODE, {})
    with pytest.raises(ItemChanged):
        await lib.review(people["reviewer"], CODE, {"decision": "approve", "version": 7})
    assert await _counts() == before
    assert (await _version(1)).status == "submitted"
    rejected = await lib.review(
        people["reviewer"], CODE, {"decision": "reject", "note": "法定依据不全"}
    )
    assert (rejected.status, rejected.review_note) == ("rejected", "法定依据不全")
    with pytest.raises(ItemNotReviewed):
        await lib.publish(admin, CODE, {})


async def test_another_departments_item_is_not_found_and_unchanged(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal]
) -> None:
    lib = library_catalog.items
    await lib.create(people["author"], item_body())
    await lib.submit(people["author"], CODE, {})
    before = await _counts()
    for outsider in (people["traffic"], people["ningbo"], people["ningbo_rev"]):
        for step in (
            lib.detail(outsider, CODE),
            lib.revise(outsider, CODE, _revision(1)),
            lib.submit(outsider, CODE, {}),
            lib.review(outsider, CODE, {"decision": "approve"}),
            lib.publish(outsider, CODE, {}),
            lib.agreement(outsider, CODE),
            retire_item(outsider, CODE, "not mine"),
        ):
            with pytest.raises(NotFound) as refused:
                await step
            assert refused.value.code == "NOT_FOUND"
    # Creating in another department looks like an unknown department.
    with pytest.raises(NotFound):
        await lib.create(people["traffic"], item_body("GG-330100-00778-001"))
    assert await _counts() == before


async def test_codes_in_use_or_retired_are_never_reused(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal]
) -> None:
    lib = library_catalog.items
    with pytest.raises(ItemCodeTaken):
        await lib.create(people["author"], item_body("GG-330100-00101-001"))  # seeded
    await lib.create(people["author"], item_body())
    await retire_item(people["author"], CODE, "merged")
    before = await _counts()
    with pytest.raises(ItemCodeTaken):
        await lib.create(people["author"], item_body())
    with pytest.raises(ItemRetired):
        await lib.revise(people["author"], CODE, _revision(1))
    with pytest.raises(ItemRetired):
        await lib.submit(people["author"], CODE, {})
    with pytest.raises(ItemRetired):
        await retire_item(people["author"], CODE, "again")
    assert await _counts() == before
    assert (await _version(1)).status == "replaced"


async def test_a_concurrent_edit_loses_through_its_expected_version(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal]
) -> None:
    lib = library_catalog.items
    await lib.create(people["author"], item_body())
    results = await asyncio.gather(
        lib.revise(people["author"], CODE, _revision(1, name="甲的修改")),
        lib.revise(people["admin"], CODE, _revision(1, name="乙的修改")),
        return_exceptions=True,
    )
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(lost) == 1 and isinstance(lost[0], ItemChanged)
    assert lost[0].details["latest_version"] == 2
    item = await ServiceItem.get(code=CODE)
    versions = (
        await ItemVersion.filter(item_id=item.id).order_by("number").values_list("number", "status")
    )
    assert versions == [(1, "replaced"), (2, "draft")]
    before = await _counts()
    with pytest.raises(ItemChanged):  # an edit of what the editor read, now stale
        await lib.revise(people["author"], CODE, _revision(1, name="过时的修改"))
    assert await _counts() == before


async def test_agencies_sync_items_as_drafts_or_published_when_trusted(
    library_catalog: Catalog, people: dict[str, OperatorPrincipal], settings: Any
) -> None:
    feeds = library_catalog.feeds
    agency, _ = await create_agency(settings.vault(), name="浙江省政务服务事项库", kind="market")
    record = {**_revision(0), "item_code": CODE, "department": "hz-wjw"}
    record.pop("expected_version")
    other = {**record, "item_code": "GG-330100-00779-001"}
    # No feed yet: each record is refused by index, nothing lands.
    refused = await feeds.upsert(agency, [record])
    assert refused["rejected"] == 1 and refused["errors"][0]["code"] == "ITEM_FEED_MISSING"
    assert not await ServiceItem.exists(code=CODE)

    with pytest.raises(Forbidden):  # trusting a feed is for platform admins
        await feeds.bind(people["author"], agency.key, "hz-wjw", trusted=True)
    await feeds.bind(people["author"], agency.key, "hz-wjw", trusted=False)
    bad = {**other, "guide": guide(visits=7)}
    outcome = await feeds.upsert(agency, [record, bad, record])
    assert (outcome["created"], outcome["rejected"], outcome["awaiting_review"]) == (1, 2, 1)
    assert [e["code"] for e in outcome["errors"]] == ["ITEM_GUIDE_INVALID", "DUPLICATE_IN_BATCH"]
    assert (await _version(1)).status == "submitted"
    with pytest.raises(ItemNotFound):
        await library_catalog.item(CODE)
    again = await feeds.upsert(agency, [record])
    assert again["unchanged"] == 1

    await feeds.bind(people["admin"], agency.key, "hz-wjw", trusted=True)
    assert await ItemFeed.filter(trusted=True).count() == 1
    outcome = await feeds.upsert(agency, [{**record, "name": "健康证明（省库）"}, other])
    assert (outcome["updated"], outcome["created"], outcome["published"]) == (1, 1, 2)
    shown = json.loads((await library_catalog.item(CODE)).body)
    assert shown["name"] == "健康证明（省库）" and shown["version"] == 2
    synced = await AuditEntry.filter(action="item.sync").order_by("seq")
    assert {e.operator_name for e in synced} == {f"agency:{agency.key}"}
    # Another department's item is not the feed's to change.
    foreign = {**record, "item_code": "CF-330100-00012-001", "department": "hz-jj"}
    out = await feeds.upsert(agency, [foreign])
    assert out["errors"][0]["code"] == "ITEM_FEED_MISSING"


WRONG_TYPES: list[Any] = [None, True, 7, 1.5, "x", [], {}, [{}], {"a": [1]}, [[1]], "x" * 5000]


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_any_json_in_any_place_is_named_never_a_crash(value: Any) -> None:
    """Every key of the item and its guide, given every kind of JSON value."""
    refs = References(frozenset({"jiuyi"}), frozenset({"id_card"}), {})
    base = item_body()
    places: list[tuple[dict, str]] = [(base, k) for k in base if k not in ("code", "department")]
    places += [(base["guide"], k) for k in base["guide"]]
    places += [(base["guide"]["materials"][0], k) for k in base["guide"]["materials"][0]]
    places += [(base["guide"]["places"][0], k) for k in base["guide"]["places"][0]]
    for holder, key in places:
        original = holder[key]
        holder[key] = value
        try:
            doc = {k: v for k, v in base.items() if k not in ("code", "department", "region")}
            assert isinstance(problems_of(doc, refs), list)
        finally:
            holder[key] = original
    assert problems_of({k: v for k, v in base.items() if k in CONTENT_KEYS}, refs) == []

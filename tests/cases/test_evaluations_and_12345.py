"""The bad-review loop, rating invitations, 12345 reopen within 10 days, Open311 shapes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.agency.models import Agency
from app.cases.materials import MaterialStore
from app.cases.service import Cases
from app.errors import (
    AlreadyRated,
    CategoryUnknown,
    NotRateable,
    RectificationNotFound,
    RectificationStepForbidden,
    ReopenWindowClosed,
    TicketStepForbidden,
)
from app.evaluations.invitations import invite_due
from app.evaluations.models import Evaluation, Invitation, Rectification
from app.evaluations.service import Evaluations, statistics
from app.interactions import open311
from app.interactions.service import Interactions
from app.supervision.models import Deadline
from infra import clock
from tests.cases.fixtures import GOOD_FORM, ITEM_CODE, PNG, person, seed

SCORES = {"overall": 1, "efficiency": 2, "guide_accuracy": 2, "convenience": 1, "ease_of_use": 2}


@pytest.fixture
async def done_case(clean: None, settings, tmp_path: Path):
    creds = await seed(settings, tmp_path)
    agency = await Agency.get(key=creds["key"])
    cases = Cases(settings.vault(), settings.service_rules)
    store = MaterialStore(settings.vault(), b"k" * 32, settings.service_rules.upload_max_bytes)
    who = await person()
    m = await store.store(who.citizen_id, "id.png", PNG)
    case = await cases.apply(who, ITEM_CODE, GOOD_FORM, [{"name": "身份证", "material_id": m.id}])
    for action in ("accept", "approve", "complete"):
        case = await cases.act(agency.id, case.case_no, action)
    return who, case, store


async def test_bad_review_opens_a_supervised_rectification_loop(done_case, settings) -> None:
    who, case, _ = done_case
    evaluations = Evaluations(settings.service_rules)
    with pytest.raises(NotRateable):
        await evaluations.rate(await person(), "case", case.case_no, SCORES, None)
    with pytest.raises(NotRateable):
        await evaluations.rate(who, "payment", "NO-SUCH-ORDER", SCORES, None)
    assert await Evaluation.all().count() == 0
    evaluation, ticket = await evaluations.rate(who, "case", case.case_no, SCORES, "太慢")
    assert evaluation.department_code == "hz-mzj"
    assert ticket is not None and ticket.status == "open"
    with pytest.raises(AlreadyRated):
        await evaluations.rate(who, "case", case.case_no, {**SCORES, "overall": 5}, None)
    assert await Evaluation.all().count() == 1 and await Rectification.all().count() == 1
    due = {d.step: d for d in await Deadline.filter(subject_type="rectification")}
    assert set(due) == {"reply", "fix"}
    assert due["fix"].due_date > due["reply"].due_date

    with pytest.raises(RectificationNotFound):  # another department's operator
        await evaluations.rectify(ticket.id, "reply", "x", ("hz-jj",))
    with pytest.raises(RectificationStepForbidden):
        await evaluations.rectify(ticket.id, "visit", "x", None)
    mine = ("hz-mzj",)
    await evaluations.rectify(ticket.id, "reply", "已联系群众，致歉", mine)
    assert (await Deadline.get(id=due["reply"].id)).met_at is not None
    await evaluations.rectify(ticket.id, "fix", "办事指南已更新材料说明", mine)
    closed = await evaluations.rectify(ticket.id, "visit", "回访满意", mine)
    assert closed.status == "visited"
    with pytest.raises(RectificationStepForbidden):  # one follow-up visit only
        await evaluations.rectify(ticket.id, "visit", "again", mine)
    assert await Deadline.filter(subject_type="rectification", met_at=None).count() == 0

    today = clock.shanghai_date()
    rows = await statistics("department", "day", today, today, None)
    assert rows == [
        {
            "department": "hz-mzj",
            "period": today.isoformat(),
            "count": 1,
            "bad": 1,
            "avg_overall": 1.0,
            "avg_efficiency": 2.0,
            "avg_guide_accuracy": 2.0,
            "avg_convenience": 1.0,
            "avg_ease_of_use": 2.0,
        }
    ]
    assert (await statistics("channel", "month", today, today, None))[0]["channel"] == "wechat"


async def test_an_unrated_case_is_invited_once_after_three_days(done_case) -> None:
    assert await invite_due(3) == 0
    clock.travel(timedelta(days=3, minutes=1))
    assert await invite_due(3) == 1
    assert await invite_due(3) == 0
    assert await Invitation.all().count() == 1


async def test_12345_reply_reopen_within_10_days_and_rate(done_case, settings) -> None:
    who, _, store = done_case
    svc = Interactions(settings.service_rules, settings.vault())
    photo = await store.store(who.citizen_id, "lamp.png", PNG)
    with pytest.raises(CategoryUnknown):
        await svc.file(who, kind="report", category_code="nope", text="x", address="y")
    ticket = await svc.file(
        who,
        kind="report",
        category_code="road",
        text="路灯不亮",
        address="解放路 1 号",
        lat=30.25,
        long=120.17,
        photo_ids=[photo.id],
    )
    assert ticket.status == "dispatched" and ticket.department_code == "hz-jj"
    with pytest.raises(TicketStepForbidden):
        await svc.reopen(ticket)
    replied = await svc.reply(ticket, "已安排维修")
    reopened = await svc.reopen(replied)
    assert reopened.status == "reopened" and reopened.reopen_count == 1
    assert await Deadline.filter(subject_type="ticket", met_at=None).count() == 1
    replied = await svc.reply(reopened, "已修复")
    clock.travel(timedelta(days=10, minutes=1))
    with pytest.raises(ReopenWindowClosed):
        await svc.reopen(replied)
    rated = await svc.rate(replied, 4)
    assert rated.status == "closed" and rated.rating == 4

    view = open311.request_view(rated, await open311.directory(5), "https://yw.example")
    assert view["media_url"] == f"https://yw.example/open311/v2/media/{rated.id}"
    assert view["service_request_id"] == str(rated.id) and view["status"] == "closed"
    assert view["service_name"] == "道路设施" and view["lat"] == 30.25
    assert view["requested_datetime"].endswith("+08:00")

"""Building blocks for appointment tests: agencies, published schedules, verified people."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.agency.models import Agency
from app.agency.signing import create_agency
from app.appointments import publishing as pub
from app.appointments.gate import AdmissionGate
from app.appointments.models import Institution, Slot
from app.identity.models import ChannelAccount, Citizen
from app.identity.sessions import Principal, SessionStore
from infra import clock
from infra.clock import SHANGHAI
from infra.pii import PiiVault


@dataclass(frozen=True)
class Person:
    principal: Principal
    token: str

    @property
    def citizen_id(self) -> uuid.UUID:
        return self.principal.citizen_id


async def agency(vault: PiiVault, name: str = "杭州市第一人民医院") -> tuple[Agency, str]:
    return await create_agency(vault, name=name, kind="health", region_code="330100")


def institution_spec(
    ref: str = "HZ1H", kind: str = "clinic", **rules: object
) -> pub.InstitutionSpec:
    return pub.InstitutionSpec(
        ref=ref,
        name="杭州市第一人民医院",
        kind=kind,
        region_code="330100",
        address="浣纱路261号",
        departments=(
            pub.DepartmentSpec(
                "NK",
                "内科",
                (
                    pub.ResourceSpec("D1", "王建国", "主任医师"),
                    pub.ResourceSpec("D2", "李芳", "主治医师"),
                ),
            ),
            pub.DepartmentSpec("EK", "儿科", (pub.ResourceSpec("D3", "陈晓", "副主任医师"),)),
        ),
        **rules,  # type: ignore[arg-type]
    )


def morning(
    dept: str,
    res: str,
    day: date,
    *,
    count: int = 4,
    capacity: int = 1,
    fee_fen: int = 0,
    session: str = "morning",
    start: time = time(8, 0),
) -> pub.ScheduleSpec:
    first = datetime.combine(day, start, tzinfo=SHANGHAI)
    return pub.ScheduleSpec(
        dept,
        res,
        day,
        session,
        tuple(
            pub.SlotSpec(
                first + timedelta(minutes=30 * i),
                first + timedelta(minutes=30 * (i + 1)),
                capacity,
                fee_fen,
            )
            for i in range(count)
        ),
    )


async def publish(
    gate: AdmissionGate | None, owner: Agency, schedules: list[pub.ScheduleSpec], **rules: object
) -> tuple[Institution, list[Slot]]:
    institution = await pub.publish_institution(owner, institution_spec(**rules))  # type: ignore[arg-type]
    published = await pub.publish_schedules(gate, institution, schedules)
    slots = await Slot.filter(id__in=list(published.slot_ids)).order_by("resource_id", "starts_at")
    return institution, slots


async def person(
    sessions: SessionStore, *, verified: bool = True, channel: str = "wechat"
) -> Person:
    now = clock.now()
    citizen = await Citizen.create(
        id=uuid.uuid4(),
        verified=verified,
        name_masked="张*",
        created_at=now,
        verified_at=now if verified else None,
    )
    account = await ChannelAccount.create(
        channel=channel,
        subject=f"o-{uuid.uuid4().hex[:20]}",
        citizen=citizen,
        created_at=now,
        last_login_at=now,
    )
    token, session = await sessions.issue(account)
    return Person(
        Principal(citizen.id, account.id, channel, session.token_hash, session.expires_at), token
    )


def in_days(n: int) -> date:
    return clock.shanghai_date() + timedelta(days=n)


def lottery(
    dept: str,
    res: str,
    day: date,
    *,
    capacity: int,
    opens_at: datetime,
    fee_fen: int = 0,
    entry_minutes: int = 60,
) -> pub.ScheduleSpec:
    """One slot released by lottery: entry for ``entry_minutes`` from ``opens_at``, the draw
    a minute after entry closes."""
    from app.appointments.lottery import LOTTERY, LotteryWindow

    plain = morning(dept, res, day, count=1, capacity=capacity, fee_fen=fee_fen)
    closes = opens_at + timedelta(minutes=entry_minutes)
    window = LotteryWindow(opens_at, closes, closes + timedelta(minutes=1))
    return pub.ScheduleSpec(dept, res, day, plain.session, plain.slots, LOTTERY, window)


async def reach_rerelease(slot_id: int) -> None:
    """Move the clock to the latest drawn re-release moment of the slot's held seats and
    deliver what is due, as the worker's outbox sweep would."""
    from app.appointments import states
    from app.appointments.models import Rerelease
    from infra import outbox
    from infra.outbox.models import OutboxEvent

    held = await Rerelease.filter(slot_id=slot_id, status=states.RERELEASE_PENDING)
    assert held, "no seat of this slot waits for a re-release"
    latest = max(h.release_at for h in held)
    if latest > clock.now():
        clock.travel(latest - clock.now())
    for event_id in await OutboxEvent.filter(status="pending").values_list("id", flat=True):
        await outbox.deliver(int(event_id))

"""Demo clinics and service halls in Hangzhou (330100) with slots for the coming week.

Published through the same upserts the agency API uses, so running it again only adds the
days that came into the week. Some clinic slots carry a registration fee (挂号费).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

from app.agency.models import Agency
from app.agency.signing import create_agency
from app.appointments import publishing as pub
from infra import clock
from infra.clock import SHANGHAI
from infra.pii import PiiVault

HOSPITAL_AGENCY = "杭州市第一人民医院"
HALL_AGENCY = "杭州市民中心行政服务中心"

# (ref, name, kind, address, departments: (code, name, resources: (code, name, title, fee)))
INSTITUTIONS = (
    (
        "HZ1H",
        "杭州市第一人民医院",
        "clinic",
        "杭州市上城区浣纱路261号",
        (
            ("NK", "内科", (("D001", "王建国", "主任医师", 2500), ("D002", "李芳", "主治医师", 0))),
            ("EK", "儿科", (("D003", "陈晓", "副主任医师", 1500),)),
            ("KQ", "口腔科", (("D004", "张伟", "主治医师", 0),)),
        ),
    ),
    (
        "HZ1H-XH",
        "杭州市第一人民医院(西湖院区)",
        "clinic",
        "杭州市西湖区文三路",
        (("QK", "全科", (("D101", "周敏", "主治医师", 0),)),),
    ),
)
HALLS = (
    (
        "SMZX",
        "杭州市民中心行政服务大厅",
        "hall",
        "杭州市上城区解放东路18号",
        (
            ("HZ", "户政", (("W01", "1号窗口", "户籍业务", 0), ("W02", "2号窗口", "居住证", 0))),
            ("CRJ", "出入境", (("W11", "11号窗口", "护照/港澳通行证", 0),)),
        ),
    ),
    (
        "XHQ",
        "西湖区行政服务中心",
        "hall",
        "杭州市西湖区文三路",
        (("SB", "社保", (("W21", "21号窗口", "社保业务", 0),)),),
    ),
)
SESSIONS = {"morning": (time(8, 0), 7), "afternoon": (time(13, 30), 6)}
SLOT_MINUTES = 30


async def _agency(vault: PiiVault, var_dir: Path, name: str, kind: str) -> Agency:
    found = await Agency.get_or_none(name=name)
    if found is not None:
        return found
    agency, secret = await create_agency(vault, name=name, kind=kind, region_code="330100")
    path = var_dir / "demo-agencies.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    known[name] = {"key": agency.key, "secret": secret, "kind": kind}
    path.write_text(json.dumps(known, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    return agency


def _schedules(departments: tuple, days: list[date], capacity: int) -> list[pub.ScheduleSpec]:
    schedules = []
    for dept_code, _, resources in departments:
        for res_code, _, _, fee in resources:
            for day in days:
                for session, (start, count) in SESSIONS.items():
                    first = datetime.combine(day, start, tzinfo=SHANGHAI)
                    slots = tuple(
                        pub.SlotSpec(
                            first + timedelta(minutes=SLOT_MINUTES * i),
                            first + timedelta(minutes=SLOT_MINUTES * (i + 1)),
                            capacity,
                            fee,
                        )
                        for i in range(count)
                    )
                    schedules.append(pub.ScheduleSpec(dept_code, res_code, day, session, slots))
    return schedules


async def _publish(agency: Agency, rows: tuple, days: list[date], capacity: int) -> None:
    for ref, name, kind, address, departments in rows:
        spec = pub.InstitutionSpec(
            ref=ref,
            name=name,
            kind=kind,
            region_code="330100",
            address=address,
            departments=tuple(
                pub.DepartmentSpec(
                    code,
                    dept_name,
                    tuple(
                        pub.ResourceSpec(r_code, r_name, title) for r_code, r_name, title, _ in res
                    ),
                )
                for code, dept_name, res in departments
            ),
        )
        institution = await pub.publish_institution(agency, spec)
        await pub.publish_schedules(None, institution, _schedules(departments, days, capacity))


async def seed(vault: PiiVault, var_dir: Path) -> None:
    today = clock.shanghai_date()
    days = [today + timedelta(days=n) for n in range(1, 8)]
    hospital = await _agency(vault, var_dir, HOSPITAL_AGENCY, "health")
    hall = await _agency(vault, var_dir, HALL_AGENCY, "fees")
    await _publish(hospital, INSTITUTIONS, days, capacity=3)
    await _publish(hall, HALLS, days, capacity=2)

"""One traffic-police record as the agency API receives it, checked on its own.

Each record of a batch is validated separately, so one bad record is reported by its index
and field and the good ones are still applied.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidationError

from app.agency.batch import RecordRefused
from app.errors import DomainError
from app.violations import plates
from infra import clock

MAX_FINE_FEN = 100_000_000
_ID = r"^[A-Za-z0-9_-]+$"


class DriverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    licence_no: str = Field(max_length=18)
    file_no: str = Field(max_length=12)


class ViolationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    violation_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    plate_type: str = Field(max_length=2)
    plate_no: str = Field(max_length=16)
    vin: str = Field(max_length=17)
    occurred_at: AwareDatetime
    place: str = Field(min_length=1, max_length=256)
    behavior: str = Field(min_length=1, max_length=256)
    points: StrictInt = Field(ge=0, le=12)
    fine_fen: StrictInt = Field(ge=0, le=MAX_FINE_FEN)
    decision_no: str | None = Field(default=None, min_length=1, max_length=32, pattern=_ID)
    decided_at: AwareDatetime | None = None
    # Set when the fine was paid outside Yiwang (at a bank or a counter).
    paid_at: AwareDatetime | None = None
    driver: DriverIn | None = None


@dataclass(frozen=True)
class Record:
    """A record that passed every check, in canonical form."""

    violation_id: str
    plate_type: str
    plate_no: str
    vin: str
    occurred_at: datetime
    place: str
    behavior: str
    points: int
    fine_fen: int
    decision_no: str | None
    decided_at: datetime | None
    paid_at: datetime | None
    licence_no: str | None
    file_no: str | None

    @property
    def fingerprint(self) -> str:
        canonical = {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()
        }
        raw = json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(raw).hexdigest()


def _refuse(field: str, error: DomainError) -> RecordRefused:
    return RecordRefused(field, error.code, error.message)


def check(raw: Any) -> Record:
    """A canonical Record, or RecordRefused naming the first bad field."""
    if not isinstance(raw, dict):
        raise RecordRefused("record", "INVALID_INPUT", "A record is a JSON object.")
    try:
        data = ViolationIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "record"
        raise RecordRefused(field, "INVALID_INPUT", first["msg"]) from exc
    try:
        kind = plates.plate_type(data.plate_type)
    except DomainError as exc:
        raise _refuse("plate_type", exc) from exc
    steps: list[tuple[str, Any]] = [
        ("plate_no", lambda: plates.plate_no(kind, data.plate_no)),
        ("vin", lambda: plates.vin(data.vin)),
        ("driver.licence_no", lambda: data.driver and plates.licence_no(data.driver.licence_no)),
        ("driver.file_no", lambda: data.driver and plates.file_no(data.driver.file_no)),
    ]
    values: dict[str, Any] = {}
    for field, step in steps:
        try:
            values[field] = step()
        except DomainError as exc:
            raise _refuse(field, exc) from exc
    if (data.decision_no is None) != (data.decided_at is None):
        raise RecordRefused(
            "decided_at", "INVALID_INPUT", "decision_no and decided_at come together."
        )
    if data.paid_at is not None and data.decision_no is None:
        raise RecordRefused("paid_at", "INVALID_INPUT", "Only a decided violation can be paid.")
    latest = clock.now() + timedelta(minutes=10)
    if data.occurred_at > latest:
        raise RecordRefused("occurred_at", "INVALID_INPUT", "occurred_at is in the future.")
    if data.decided_at is not None and not data.occurred_at <= data.decided_at <= latest:
        raise RecordRefused(
            "decided_at", "INVALID_INPUT", "decided_at must be after occurred_at and not later."
        )
    return Record(
        violation_id=data.violation_id,
        plate_type=kind.code,
        plate_no=values["plate_no"],
        vin=values["vin"],
        occurred_at=data.occurred_at,
        place=data.place.strip(),
        behavior=data.behavior.strip(),
        points=data.points,
        fine_fen=data.fine_fen,
        decision_no=data.decision_no,
        decided_at=data.decided_at,
        paid_at=data.paid_at,
        licence_no=values["driver.licence_no"] or None,
        file_no=values["driver.file_no"] or None,
    )

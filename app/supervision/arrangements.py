"""A year's holiday arrangement (节假日安排): the days off and the make-up working days the
State Council publishes each autumn for the next year, as data the work calendar reads.

The arrangements the house ships live in ``holidays/<year>.yaml``; an operator loads a
year's with ``yiwang calendar load`` (audited). Loading replaces that year's days whole,
so a corrected notice never leaves yesterday's days behind.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from tortoise.transactions import in_transaction

from app.catalog import audit
from app.errors import InvalidInput
from app.operators.auth import OperatorPrincipal
from app.supervision.models import Holiday

SHIPPED = Path(__file__).parent / "holidays"


class DaysOff(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    name: str = Field(min_length=1, max_length=32)
    first: date = Field(alias="from")
    last: date = Field(alias="to")


class MakeUpDay(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=32)
    day: date


class Arrangement(BaseModel):
    """One year's published arrangement, checked to be about that year and consistent."""

    model_config = ConfigDict(frozen=True)

    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=1)
    days_off: tuple[DaysOff, ...] = Field(min_length=1)
    workdays: tuple[MakeUpDay, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Arrangement:
        off = self.off_days()
        for span in self.days_off:
            if span.last < span.first:
                raise ValueError(f"{span.name}: {span.last} is before {span.first}")
        for day in [*off, *(w.day for w in self.workdays)]:
            if day.year != self.year:
                raise ValueError(f"{day} is not in {self.year}")
        clash = off.keys() & {w.day for w in self.workdays}
        if clash:
            raise ValueError(f"{sorted(clash)[0]} is both a day off and a working day")
        return self

    def off_days(self) -> dict[date, str]:
        return {
            date.fromordinal(n): span.name
            for span in self.days_off
            for n in range(span.first.toordinal(), span.last.toordinal() + 1)
        }


def parse(document: Any) -> Arrangement:
    try:
        return Arrangement.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "arrangement"
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from None


def read(path: Path) -> Arrangement:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {path} as YAML: {exc}") from None
    return parse(document)


def shipped_years() -> list[int]:
    return sorted(int(p.stem) for p in SHIPPED.glob("*.yaml"))


def shipped(year: int) -> Arrangement:
    path = SHIPPED / f"{year}.yaml"
    if not path.exists():
        raise InvalidInput(
            f"No arrangement for {year} ships with this release (it ships "
            f"{', '.join(map(str, shipped_years()))}); pass --file with the published one.",
            year=year,
        )
    return read(path)


async def load(
    arrangement: Arrangement,
    *,
    reason: str | None = None,
    actor: OperatorPrincipal | None = None,
) -> dict[str, Any]:
    """Make ``arrangement`` the year's calendar, in one transaction with its audit row
    (naming ``actor``, the operator who loaded it from the console; None: the CLI)."""
    year = arrangement.year
    rows = {day: (name, False) for day, name in arrangement.off_days().items()}
    rows |= {w.day: (w.name, True) for w in arrangement.workdays}
    async with in_transaction() as tx:
        in_year = Holiday.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31))
        before = await in_year.using_db(tx).count()
        await in_year.using_db(tx).delete()
        await Holiday.bulk_create(
            [Holiday(day=d, name=n, workday=w) for d, (n, w) in sorted(rows.items())],
            using_db=tx,
        )
        summary = {
            "year": year,
            "source": arrangement.source,
            "days_off": sum(1 for _, w in rows.values() if not w),
            "workdays": sum(1 for _, w in rows.values() if w),
        }
        await audit.record(
            actor,
            "load_work_calendar",
            "work_calendar",
            str(year),
            department=None,
            using=tx,
            before={"days": before},
            after=summary,
            reason=reason,
        )
    return summary


async def loaded(year: int) -> dict[str, Any]:
    """The year's days as the calendar has them: days off and make-up working days, by date."""
    rows = await Holiday.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31)).order_by(
        "day"
    )
    return {
        "year": year,
        "loaded": bool(rows),
        "days_off": [{"day": r.day.isoformat(), "name": r.name} for r in rows if not r.workday],
        "workdays": [{"day": r.day.isoformat(), "name": r.name} for r in rows if r.workday],
        "shipped_years": shipped_years(),
    }


async def load_shipped(*, reason: str | None = None) -> list[dict[str, Any]]:
    """Every arrangement this release ships (the demo, a fresh install)."""
    return [await load(shipped(year), reason=reason) for year in shipped_years()]

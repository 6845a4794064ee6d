"""Lottery entry (摇号): the rush's clinic, released by lottery, with 20 residents.

Every schedule's entry window is open for the whole run, so wrk's POST /appointments are
entries: each (resident, doctor-session) pair enters once (202, an entry number) and every
later attempt is LOTTERY_ALREADY_ENTERED. The ratio is the entry rate against the bare
ceiling. The check refuses a person entered twice for one doctor-session, entry numbers
with gaps or repeats, or more accepted answers than entries.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bench.context import BenchContext
from bench.scenarios import Request, Scenario
from bench.scenarios.appointments_rush import (
    SHANGHAI,
    attempts,
    publish_clinic,
    sign_in_residents,
)
from bench.wrk import WrkResult

# Each enters every doctor-session once; later attempts are refusals at the first check.
RESIDENTS = 20


async def setup(ctx: BenchContext) -> Request:
    now = datetime.now(UTC)
    residents = await sign_in_residents(ctx, 53000, RESIDENTS)
    slot_ids = await publish_clinic(
        ctx,
        "BENCH-LOTTERY",
        now.astimezone(SHANGHAI).date() + timedelta(days=2),
        release_mode="lottery",
        entry_opens_at=(now - timedelta(minutes=5)).isoformat(),  # past the release minute
        entry_closes_at=(now + timedelta(hours=2)).isoformat(),
        draw_at=(now + timedelta(hours=2, minutes=1)).isoformat(),
    )
    return replace(attempts(ctx, "appointments-lottery", slot_ids, residents), expect_status=202)


async def check(ctx: BenchContext, request: Request, result: WrkResult) -> list[str]:
    entries = await ctx.fetchval(
        "SELECT count(*) FROM appt_lottery_entry e JOIN appt_slot s ON s.id = e.slot_id "
        "JOIN appt_institution i ON i.id = s.institution_id WHERE i.ref = 'BENCH-LOTTERY'"
    )
    gaps = await ctx.fetchval(
        "SELECT count(*) FROM (SELECT lottery_id FROM appt_lottery_entry GROUP BY lottery_id "
        "HAVING count(*) <> max(entry_no) OR count(DISTINCT entry_no) <> count(*)) t"
    )
    twice = await ctx.fetchval(
        "SELECT count(*) FROM (SELECT citizen_id FROM appt_lottery_entry "
        "GROUP BY citizen_id, group_key HAVING count(*) > 1) t"
    )
    accepted = result.requests - result.non_2xx + 1  # + the probe's entry
    print(f"appointments_lottery: {entries} entries; {accepted} accepted answers", flush=True)
    problems = []
    if gaps:
        problems.append(f"{gaps} lotteries with entry numbers not 1..N")
    if twice:
        problems.append(f"{twice} people entered twice for one doctor-session")
    if accepted > entries:
        problems.append(f"{accepted} accepted answers but {entries} entries")
    return problems


SCENARIO = Scenario(
    "appointments_lottery",
    "lottery entry: residents entering, repeats refused, the entry rate as a ratio",
    setup,
    check=check,
)

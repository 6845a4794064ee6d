"""Scheduled appointment work, run by the background worker (app/runtime/worker.py)."""

from __future__ import annotations

import logging
from typing import Any

from app.appointments.service import Appointments
from infra import heartbeats

log = logging.getLogger("yiwang.appointments")


def _appointments(ctx: dict[str, Any]) -> Appointments:
    """The worker hands every job the process's services; this room needs only its own."""
    appointments: Appointments = ctx["services"].appointments
    return appointments


async def appointments_release_unpaid(ctx: dict[str, Any]) -> int:
    """Fee-bearing holds unpaid after 15 minutes* give their seat back."""
    return await _appointments(ctx).release_unpaid()


async def appointments_lapse_offers(ctx: dict[str, Any]) -> int:
    """Waitlist offers not taken in 30 minutes* pass to the next waiter."""
    return await _appointments(ctx).lapse_offers()


async def appointments_mark_no_shows(ctx: dict[str, Any]) -> int:
    """Bookings not checked in when their session ended become no-shows (and maybe bans)."""
    return await _appointments(ctx).mark_no_shows()


async def appointments_queue_reminders(ctx: dict[str, Any]) -> int:
    """The day before, from the reminder time, each booking gets one reminder."""
    return await _appointments(ctx).queue_reminders()


async def appointments_heal_after_deaths(ctx: dict[str, Any]) -> int:
    """A server process that died may have left seats at the gate it never booked: look
    only then (infra.heartbeats), and give them back."""
    dead = await heartbeats.departed(ctx["services"].redis)
    if not dead:
        return 0
    report = await _appointments(ctx).heal_gate()
    log.warning(
        "server processes died (%s); gate repaired: %d given back, %d confirmed",
        ", ".join(dead),
        len(report.given_back),
        len(report.confirmed),
    )
    return len(report.given_back) + len(report.confirmed)


async def appointments_run_draws(ctx: dict[str, Any]) -> int:
    """Lotteries past their draw time are drawn (or a crashed draw resumed)."""
    return await _appointments(ctx).run_draws()


async def appointments_open_kept_seats(ctx: dict[str, Any]) -> int:
    """Kept seats not booked by staff open to everyone at their set time."""
    return await _appointments(ctx).open_kept_seats()


FUNCTIONS = (
    appointments_run_draws,
    appointments_open_kept_seats,
    appointments_release_unpaid,
    appointments_lapse_offers,
    appointments_mark_no_shows,
    appointments_queue_reminders,
    appointments_heal_after_deaths,
)
# Seconds between runs (each divides 60).
EVERY_SECONDS = {
    appointments_run_draws: 15,
    appointments_open_kept_seats: 60,
    appointments_release_unpaid: 15,
    appointments_lapse_offers: 15,
    appointments_mark_no_shows: 60,
    appointments_queue_reminders: 60,
    appointments_heal_after_deaths: 5,
}

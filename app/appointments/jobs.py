"""Scheduled appointment work, run by the background worker (app/worker.py)."""

from __future__ import annotations

from typing import Any

from app.appointments.service import Appointments


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


FUNCTIONS = (
    appointments_release_unpaid,
    appointments_lapse_offers,
    appointments_mark_no_shows,
    appointments_queue_reminders,
)
# Seconds between runs (each divides 60).
EVERY_SECONDS = {
    appointments_release_unpaid: 15,
    appointments_lapse_offers: 15,
    appointments_mark_no_shows: 60,
    appointments_queue_reminders: 60,
}

"""Scheduled appointment work, run by the background worker (app/worker.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.services import Services


def _services(ctx: dict[str, Any]) -> Services:
    services: Services = ctx["services"]
    return services


async def appointments_release_unpaid(ctx: dict[str, Any]) -> int:
    """Fee-bearing holds unpaid after 15 minutes* give their seat back."""
    return await _services(ctx).appointments.release_unpaid()


async def appointments_lapse_offers(ctx: dict[str, Any]) -> int:
    """Waitlist offers not taken in 30 minutes* pass to the next waiter."""
    return await _services(ctx).appointments.lapse_offers()


async def appointments_mark_no_shows(ctx: dict[str, Any]) -> int:
    """Bookings not checked in when their session ended become no-shows (and maybe bans)."""
    return await _services(ctx).appointments.mark_no_shows()


async def appointments_queue_reminders(ctx: dict[str, Any]) -> int:
    """The day before, from the reminder time, each booking gets one reminder."""
    return await _services(ctx).appointments.queue_reminders()


async def appointments_run_draws(ctx: dict[str, Any]) -> int:
    """Lotteries past their draw time are drawn (or a crashed draw resumed)."""
    return await _services(ctx).appointments.run_draws()


FUNCTIONS = (
    appointments_run_draws,
    appointments_release_unpaid,
    appointments_lapse_offers,
    appointments_mark_no_shows,
    appointments_queue_reminders,
)
# Seconds between runs (each divides 60).
EVERY_SECONDS = {
    appointments_run_draws: 15,
    appointments_release_unpaid: 15,
    appointments_lapse_offers: 15,
    appointments_mark_no_shows: 60,
    appointments_queue_reminders: 60,
}

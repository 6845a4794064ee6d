"""Signed check-in codes: the QR a resident shows; the institution's system checks it in.

Payload ``YWCI1.<booking>.<institution>.<nonce>.<mac>`` where mac is
base64url(HMAC-SHA256(key, "YWCI1.<booking>.<institution>.<nonce>")). The key never leaves
the server, so a code cannot be forged; the booking's status makes it single-use.

When the scanner fails (a cracked screen, glare), staff type the 8-digit desk code (签到号)
instead: derived from the same key and nonce, so it is nothing to store and cannot be
guessed from the booking. It means something only at its own institution on its own day,
where it is matched against that day's bookings; the agency API that takes it is signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from app.appointments import states
from app.appointments.models import Booking
from app.errors import CheckInCodeInvalid, CheckInCodeUsed, CheckInNotAllowed
from infra import clock
from infra.transitions import move

PREFIX = "YWCI1"


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(key: bytes, booking: Booking) -> str:
    message = f"{PREFIX}.{booking.id}.{booking.institution_id}.{booking.checkin_nonce}"
    return f"{message}.{_mac(key, message)}"


def desk_code(key: bytes, booking: Booking) -> str:
    message = f"YWCN1.{booking.id}.{booking.checkin_nonce}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


async def by_desk_code(key: bytes, typed: str, institution_id: int) -> str:
    """The signed code of today's booking at this institution with this desk code."""
    typed = typed.strip()
    if not (len(typed) == 8 and typed.isdigit()):
        raise CheckInCodeInvalid("A desk code is 8 digits.")
    today = clock.shanghai_date()
    candidates = await Booking.filter(
        institution_id=institution_id,
        date=today,
        status__in=(states.BOOKED, states.CHECKED_IN),
    )
    found = [b for b in candidates if hmac.compare_digest(desk_code(key, b), typed)]
    if len(found) != 1:
        # None, or (one in tens of millions) two bookings sharing digits: ask for the QR.
        raise CheckInCodeInvalid("No appointment today has this desk code; scan the QR.")
    return sign(key, found[0])


@dataclass(frozen=True)
class CheckInCode:
    booking_id: int
    institution_id: int
    nonce: str


def verify(key: bytes, code: str) -> CheckInCode:
    parts = code.strip().split(".")
    if len(parts) != 5 or parts[0] != PREFIX:
        raise CheckInCodeInvalid()
    message, mac = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(_mac(key, message), mac):
        raise CheckInCodeInvalid()
    try:
        return CheckInCode(int(parts[1]), int(parts[2]), parts[3])
    except ValueError as exc:
        raise CheckInCodeInvalid() from exc


async def check_in(key: bytes, code: str, institution_id: int) -> Booking:
    """Mark the booking checked in, once, at its own institution, on its own day."""
    parsed = verify(key, code)
    if parsed.institution_id != institution_id:
        raise CheckInCodeInvalid("This code is for another institution.")
    now = clock.now()
    async with in_transaction() as tx:
        booking = (
            await Booking.filter(id=parsed.booking_id).using_db(tx).select_for_update().first()
        )
        if booking is None or not hmac.compare_digest(booking.checkin_nonce, parsed.nonce):
            raise CheckInCodeInvalid()
        if booking.status == states.CHECKED_IN:
            raise CheckInCodeUsed(checked_in_at=booking.checked_in_at.isoformat())  # type: ignore[union-attr]
        if booking.status != states.BOOKED:
            raise CheckInNotAllowed(status=booking.status)
        if booking.date != clock.shanghai_date(now):
            raise CheckInNotAllowed(
                "This appointment is for another day.", date=booking.date.isoformat()
            )
        await move(
            booking,
            states.CHECKED_IN,
            using=tx,
            checked_in_at=now,
        )
    return await Booking.get(id=booking.id)

"""Signed check-in codes: the QR a resident shows; the institution's system checks it in.

Payload ``YWCI2.<booking>.<institution>.<nonce>.<signature>``: base64url of the DER SM2
signature (SM3, default signer id) of ``YWCI2.<booking>.<institution>.<nonce>``, under an
SM2 key derived from the check-in key (national cryptography: check-in codes are signed
like receipts). Codes shown before the move, ``YWCI1`` with an HMAC-SHA256 under the same
key, still check in: a phone may hold one from before, and a code is single-use and
day-bound anyway. The key never leaves the server, so a code cannot be forged; the
booking's status makes it single-use.

When the scanner fails (a cracked screen, glare), staff type the 8-digit desk code (签到号)
instead: derived from the same key and nonce, so it is nothing to store and cannot be
guessed from the booking. It means something only at its own institution on its own day,
where it is matched against that day's bookings; the agency API that takes it is signed.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from app.appointments import states
from app.appointments.models import Booking
from app.errors import CheckInCodeInvalid, CheckInCodeUsed, CheckInNotAllowed
from infra import clock
from infra.national import N, Sm2PrivateKey, hmac_sm3
from infra.transitions import move

PREFIX = "YWCI2"
PREFIX_HMAC = "YWCI1"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mac(key: bytes, message: str) -> str:
    return _b64url(hmac.new(key, message.encode(), hashlib.sha256).digest())


@functools.lru_cache(maxsize=8)
def _signer(key: bytes) -> Sm2PrivateKey:
    """The SM2 key of a check-in key: derived, so no new secret is configured; computed
    once per process (the public point takes a few ms of Python)."""
    scalar = int.from_bytes(hmac_sm3(key, b"yiwang/check-in/sm2"), "big") % (N - 2) + 1
    return Sm2PrivateKey(scalar.to_bytes(32, "big"))


def sign(key: bytes, booking: Booking) -> str:
    message = f"{PREFIX}.{booking.id}.{booking.institution_id}.{booking.checkin_nonce}"
    return f"{message}.{_b64url(_signer(key).sign(message.encode()))}"


def desk_code(key: bytes, booking: Booking) -> str:
    message = f"YWCN2.{booking.id}.{booking.checkin_nonce}".encode()
    digest = hmac_sm3(key, message)
    return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


def _genuine(key: bytes, version: str, message: str, signature: str) -> bool:
    if version == PREFIX_HMAC:
        return hmac.compare_digest(_mac(key, message), signature)
    if len(signature) > 100:
        return False
    try:
        raw = base64.urlsafe_b64decode(signature + "==")
    except (binascii.Error, ValueError):
        return False
    return _signer(key).public.verify(raw, message.encode())


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
    if len(parts) != 5 or parts[0] not in (PREFIX, PREFIX_HMAC):
        raise CheckInCodeInvalid()
    if not _genuine(key, parts[0], ".".join(parts[:4]), parts[4]):
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

"""Release-minute guard: a session signed in a few seconds ago may not book or enter.

Scalper scripts sign fresh accounts in at the release second and book at once; a resident
who opened the app before the release is unaffected. Only the release minute is guarded,
so a late sign-in on an ordinary afternoon books at once.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from app.config import AppointmentRules
from app.errors import SessionTooNew


def refuse_fresh_session(
    rules: AppointmentRules, session_started: datetime | None, released_at: datetime, now: datetime
) -> None:
    """Raise SESSION_TOO_NEW when ``now`` is in the release minute and the session is young."""
    if session_started is None or rules.fresh_session_seconds == 0:
        return
    if not released_at <= now < released_at + timedelta(seconds=rules.release_minute_seconds):
        return
    age = (now - session_started).total_seconds()
    if age < rules.fresh_session_seconds:
        raise SessionTooNew(retry_after=math.ceil(rules.fresh_session_seconds - age))

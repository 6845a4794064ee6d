"""The transactional outbox: events written with the state change that causes them.

A domain calls :func:`infra.outbox.emit` inside the transaction that changes state. After
commit, the event is handed to the job runner; a periodic sweep re-sends anything due (a
crash between commit and enqueue, a Redis restart, a failed attempt). Handlers are
idempotent: an event may be delivered more than once, never zero times.
"""

from infra.outbox.delivery import EventHandler, deliver, register_handler, release_leases, sweep
from infra.outbox.emit import emit

__all__ = ["EventHandler", "deliver", "emit", "register_handler", "release_leases", "sweep"]

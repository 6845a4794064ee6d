"""统一认证: the server redeems the ticket the app handed the resident's client.

Tickets are the single-use, five-minute login codes of ``channels/sandbox/people.py``;
the answer carries the real-name data the province holds for every app account.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from channels.sandbox.provincial.http import error, invalid, json_object, signed

bp = Blueprint("provincial_sso", url_prefix="/sso")


@bp.post("/ticket/validate")
@signed
async def validate_ticket(request: Request) -> JSONResponse:
    body = json_object(request)
    ticket = body.get("ticket") if body else None
    if not isinstance(ticket, str) or not ticket:
        return invalid("ticket is required")
    person = request.app.ctx.people.redeem("app", ticket)
    if person is None:
        return error("TICKET_INVALID", "ticket is unknown, expired or already used", 400)
    return json(
        {
            "user_id": person.app_user_id,
            "name": person.name,
            "id_number": person.id_number,
            "phone": person.phone,
            "verified": True,
        }
    )

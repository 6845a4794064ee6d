"""App messages (消息推送): the province delivers a templated notice to one account."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from channels.sandbox.provincial.http import error, invalid, json_object, signed
from channels.sandbox.provincial.state import SentMessage

bp = Blueprint("provincial_messages", url_prefix="/messages")


@bp.post("/api/send")
@signed
async def send_message(request: Request) -> JSONResponse:
    body = json_object(request)
    if body is None:
        return invalid("a JSON object is required")
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or not template_id:
        return invalid("template_id is required")
    data = body.get("data")
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return invalid("data must be an object of strings")
    page = body.get("page")
    if page is not None and not isinstance(page, str):
        return invalid("page must be a string")
    user_id = body.get("user_id")
    if not isinstance(user_id, str) or request.app.ctx.people.find("app", user_id) is None:
        return error("USER_NOT_FOUND", "user_id is not a provincial app account", 404)
    message = SentMessage(
        message_id="msg" + secrets.token_hex(10),
        user_id=user_id,
        template_id=template_id,
        data=data,
        page=page,
        sent_at=datetime.now(UTC),
    )
    request.app.ctx.provincial.messages.append(message)
    return json({"message_id": message.message_id})

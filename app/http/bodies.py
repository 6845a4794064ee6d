"""Reading request bodies: malformed JSON and schema failures become stable 4xx errors."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sanic import Request

from app.errors import InvalidInput, MalformedJson

M = TypeVar("M", bound=BaseModel)


def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJson() from exc
    if not isinstance(body, dict):
        raise MalformedJson("The request body must be a JSON object.")
    return body


def parse(request: Request, model: type[M]) -> M:
    data = json_object(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in err["loc"]) or "body": err["msg"] for err in exc.errors()
        }
        raise InvalidInput(details_message(fields), fields=fields) from exc


def details_message(fields: dict[str, str]) -> str:
    names = ", ".join(sorted(fields))
    return f"Some fields are missing or malformed: {names}."

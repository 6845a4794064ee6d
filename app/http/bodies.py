"""Reading request bodies: one bounded JSON parse per request, before anything else runs.

The request middleware :func:`parse_json_body` reads every JSON body once, before
authentication, with a size and a depth bound: a body of 2,000 nested ``[`` would otherwise
reach the decoder's recursion limit (a 500 with a traceback) or cost every handler a walk.
Refusals are ``JSON_TOO_LARGE`` (413), ``JSON_TOO_DEEP`` and ``MALFORMED_JSON`` (400).
Handlers read the parsed value through :func:`json_object` and :func:`parse`.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sanic import Request

from app.errors import InvalidInput, JsonTooDeep, JsonTooLarge, MalformedJson

M = TypeVar("M", bound=BaseModel)

# Far above any document the API takes (uploads are multipart, not JSON).
MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32

_NOT_JSON = ("multipart/", "application/x-www-form-urlencoded", "text/xml", "application/xml")
_UNPARSED = object()


class _Refused:
    """A body that is not JSON: refused only when a handler asks for JSON."""

    def __init__(self, error: MalformedJson) -> None:
        self.error = error


def parse_json_body(request: Request) -> None:
    """Request middleware: parse a JSON body once, bounded, or refuse it with a 4xx."""
    request.ctx.json = _UNPARSED
    body = request.body
    if not body or (request.content_type or "").startswith(_NOT_JSON):
        return
    if len(body) > MAX_JSON_BYTES:
        raise JsonTooLarge(f"A JSON body may be at most {MAX_JSON_BYTES} bytes.")
    request.ctx.json = bounded_loads(body)


def bounded_loads(body: bytes) -> Any:
    """``json.loads`` that refuses deep nesting; a syntax error is kept, not raised.

    The depth is measured on the bytes before decoding, so the decoder never recurses past
    the bound: a caught RecursionError leaves CPython 3.11's recursion bookkeeping skewed
    for later C-level recursion in the same thread.
    """
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _depth(body) > MAX_JSON_DEPTH:
        raise JsonTooDeep()
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _Refused(MalformedJson())


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _depth(body: bytes) -> int:
    """The deepest bracket nesting outside strings (a malformed body is refused later)."""
    brackets = _STRING.sub(b"", body).translate(None, delete=_NOT_BRACKETS)
    level = deepest = 0
    for byte in brackets:
        level += 1 if byte in b"[{" else -1
        deepest = max(deepest, level)
    return deepest


def json_value(request: Request) -> Any:
    """The request's parsed JSON body (any JSON value), or MalformedJson."""
    value = getattr(request.ctx, "json", _UNPARSED)
    if value is _UNPARSED:
        body = request.body or b""
        if len(body) > MAX_JSON_BYTES:
            raise JsonTooLarge(f"A JSON body may be at most {MAX_JSON_BYTES} bytes.")
        value = bounded_loads(body) if body else _Refused(MalformedJson())
        request.ctx.json = value
    if isinstance(value, _Refused):
        raise value.error
    return value


def json_object(request: Request) -> dict[str, Any]:
    body = json_value(request)
    if not isinstance(body, dict):
        raise MalformedJson("The request body must be a JSON object.")
    return body


def parse(request: Request, model: type[M]) -> M:
    return _validated(model, json_object(request))


def query(request: Request, model: type[M]) -> M:
    """The query string read into ``model`` (the first value of each name), or INVALID_INPUT.

    The same model documents the parameters in /openapi.json (``documented(query=...)``),
    so what is required there is exactly what is refused here.
    """
    return _validated(model, {name: values[0] for name, values in request.args.items()})


def _validated(model: type[M], data: dict[str, Any]) -> M:
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

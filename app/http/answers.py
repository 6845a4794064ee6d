"""The one way a handler answers with a JSON body: UTF-8 as written, so Chinese names and
guides stay readable on the wire instead of turning into ``\\uXXXX`` escapes."""

from __future__ import annotations

from typing import Any

from sanic.response import JSONResponse, json


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return json(body, status=status, ensure_ascii=False, headers=headers)

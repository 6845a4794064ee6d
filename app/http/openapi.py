"""/openapi.json, generated from the registered routes and the pydantic models they read.

Handlers describe themselves with :func:`documented`; anything undocumented still appears,
with its path parameters, so the document never falls behind the router.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from sanic import Blueprint, Request, Sanic
from sanic.response import JSONResponse, json

H = TypeVar("H", bound=Callable[..., Any])

SECURITY = {
    "resident": [{"bearer": []}],
    "agency": [{"agencySignature": []}],
    "operator": [{"operatorBearer": []}],
}


@dataclass
class RouteDoc:
    summary: str
    body: type[BaseModel] | None = None
    auth: str | None = None
    responses: dict[int, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


def documented(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    auth: str | None = None,
    responses: dict[int, str] | None = None,
    tag: str | None = None,
) -> Callable[[H], H]:
    def attach(handler: H) -> H:
        handler.__openapi__ = RouteDoc(  # type: ignore[attr-defined]
            summary, body, auth, responses or {}, [tag] if tag else []
        )
        return handler

    return attach


_PARAM = re.compile(r"<([a-zA-Z_][a-zA-Z0-9_]*)(?::[^>]*)?>")


def build(app: Sanic) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for route in app.router.routes:
        uri = "/" + route.path.lstrip("/")
        if uri.startswith("/openapi"):
            continue
        path = _PARAM.sub(r"{\1}", uri)
        params = _PARAM.findall(uri)
        doc: RouteDoc | None = getattr(route.handler, "__openapi__", None)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(doc, params, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Yiwang (一网) public API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "operatorBearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an operator token from POST /api/v1/operator/sessions",
                },
                "agencySignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Signature",
                    "description": "hex(HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\n"
                    "SHA256_HEX(body))) with X-Agency-Key and X-Timestamp",
                },
            },
        },
    }


def _operation(doc: RouteDoc | None, params: list[str], schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "parameters": [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in params
        ],
        "responses": {"default": {"description": "Error: {code, message, request_id}"}},
    }
    if doc is None:
        return op
    op["summary"] = doc.summary
    if doc.tags:
        op["tags"] = doc.tags
    if doc.auth in SECURITY:
        op["security"] = SECURITY[doc.auth]
    if doc.body is not None:
        schema = doc.body.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[doc.body.__name__] = schema
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{doc.body.__name__}"}
                }
            },
        }
    for status, description in doc.responses.items():
        op["responses"][str(status)] = {"description": description}
    return op


bp = Blueprint("openapi")


@bp.get("/openapi.json")
async def openapi_json(request: Request) -> JSONResponse:
    if getattr(request.app.ctx, "openapi", None) is None:
        request.app.ctx.openapi = build(request.app)
    return json(request.app.ctx.openapi)

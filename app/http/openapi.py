"""/openapi.json, generated from the registered routes and the pydantic models they read.

Handlers describe themselves with :func:`documented`; anything undocumented under the API's
prefixes still appears, with its path parameters, so the document never falls behind the
router. The document is meant to be true enough for a generated client or a contract
tester: path parameters carry the bounds of their route type (``app.http.columns``), query
parameters come from the same model that reads them (required ones marked), every
operation declares its success content and the one error body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from pydantic import BaseModel
from sanic import Blueprint, Request, Sanic
from sanic.response import JSONResponse, json

from app.http.columns import PATH_TYPES, bounds

H = TypeVar("H", bound=Callable[..., Any])

SECURITY = {
    "resident": [{"bearer": []}],
    "agency": [{"agencySignature": []}],
    "operator": [{"operatorBearer": []}],
}


# What a route serves besides the API: the H5 shell and the operator console's files.
DOCUMENTED_PREFIXES = ("/api/", "/open311/", "/notify/", "/healthz", "/readyz", "/metrics")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message", "request_id"],
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Z0-9_]+$"},
        "message": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "details": {"type": "object"},
    },
}
# GeoReport v2 errors: a JSON array of {code, description}. Refusals before a GeoReport
# handler runs (no such route, a method not allowed, a body refused unread) keep ours.
OPEN311_ERROR_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "description"],
                "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
            },
        },
        {"$ref": "#/components/schemas/Error"},
    ]
}
# WeChat Pay v3 callbacks answer a refusal as WeChat asks, {"code": "FAIL", "message"};
# refusals before the handler runs (a body refused unread, a method not allowed) keep ours.
WECHAT_V3_ERROR_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"const": "FAIL"}, "message": {"type": "string"}},
        },
        {"$ref": "#/components/schemas/Error"},
    ]
}


@dataclass
class RouteDoc:
    summary: str
    body: type[BaseModel] | None = None
    auth: str | None = None
    responses: dict[int, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    query: type[BaseModel] | None = None
    produces: str | None = "application/json"
    errors: str | None = "Error"
    # GeoReport paths whose format is their suffix (<id:ext=json|xml>) answer either.
    also_xml: bool = False


def documented(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    auth: str | None = None,
    responses: dict[int, str] | None = None,
    tag: str | None = None,
    query: type[BaseModel] | None = None,
    produces: str | None = "application/json",
    errors: str | None = "Error",
) -> Callable[[H], H]:
    """``query`` is the model ``bodies.query`` reads; ``produces`` the success content type
    (None: no content, a 204); ``errors`` the error body's schema (``Error``, or
    ``Open311Error`` for GeoReport; None for a channel callback's own reply format)."""

    def attach(handler: H) -> H:
        handler.__openapi__ = RouteDoc(  # type: ignore[attr-defined]
            summary,
            body,
            auth,
            responses or {},
            [tag] if tag else [],
            query,
            produces,
            errors,
        )
        return handler

    return attach


_PARAM = re.compile(r"<([a-zA-Z_][a-zA-Z0-9_]*)(?::([^>]*))?>")


def build(app: Sanic) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {
        "Error": ERROR_SCHEMA,
        "Open311Error": OPEN311_ERROR_SCHEMA,
        "WechatV3Error": WECHAT_V3_ERROR_SCHEMA,
    }
    for route in app.router.routes:
        uri = "/" + route.path.lstrip("/")
        if not uri.startswith(DOCUMENTED_PREFIXES):
            continue
        path = _PARAM.sub(r"{\1}", uri)
        params = _PARAM.findall(uri)
        doc: RouteDoc | None = getattr(route.handler, "__openapi__", None)
        if doc is not None and doc.errors == "Error" and uri.startswith("/open311/"):
            # GeoReport routes answer errors in GeoReport's own form, XML for .xml paths.
            xml = uri.endswith(".xml")
            doc = replace(
                doc,
                errors=None if xml else "Open311Error",
                produces="text/xml" if xml else doc.produces,
                also_xml=not xml and any("xml" in kind for _, kind in params),
            )
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


def _path_schema(route_type: str) -> dict[str, Any]:
    if route_type.startswith("ext="):  # Sanic's name.ext parameter: <code:ext=json|xml>
        extensions = route_type.removeprefix("ext=")
        return {"type": "string", "pattern": rf"^[^/]+\.({extensions})$"}
    if route_type in PATH_TYPES:
        limits = bounds(*PATH_TYPES[route_type])
        if "max_length" in limits:
            return {"type": "string", "minLength": 1, "maxLength": limits["max_length"]}
        return {"type": "integer", "minimum": 1, "maximum": limits["le"]}
    return {"type": "string", "minLength": 1}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _present(prop)}
        for name, prop in schema.get("properties", {}).items()
    ]


def _present(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema when it is sent: an optional field's ``None`` means the
    parameter is left out, which ``required: false`` already says; a query string has no
    null to send."""
    branches = prop.get("anyOf")
    if not branches:
        return prop
    sent = [b for b in branches if b.get("type") != "null"]
    if len(sent) != 1:
        return prop
    extra = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
    return {**sent[0], **extra}


def _content(content_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {content_type: {"schema": schema}}


def _success_schema(content_type: str) -> dict[str, Any]:
    if content_type == "application/json":
        return {}
    return {"type": "string", "format": "binary"}


def _operation(
    doc: RouteDoc | None, params: list[tuple[str, str]], schemas: dict[str, Any]
) -> dict[str, Any]:
    produces = doc.produces if doc else "application/json"
    errors = doc.errors if doc else "Error"
    error_content = (
        _content("application/json", {"$ref": f"#/components/schemas/{errors}"})
        if errors
        else _content(produces or "application/json", {})
    )
    success: dict[str, Any] = {"description": "Success"}
    if produces:
        success["content"] = _content(produces, _success_schema(produces))
    if doc is not None and doc.also_xml:
        success["content"] = {**success.get("content", {}), **_content("text/xml", {})}
        error_content = {**error_content, **_content("text/xml", {})}
    op: dict[str, Any] = {
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": _path_schema(kind)}
            for name, kind in params
        ],
        "responses": {
            "2XX": success,
            "default": {
                "description": "Error: {code, message, request_id}",
                "content": error_content,
            },
        },
    }
    if doc is None:
        return op
    op["summary"] = doc.summary
    if doc.query is not None:
        op["parameters"] += _query_parameters(doc.query)
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
        response: dict[str, Any] = {"description": description}
        if status >= 400:
            response["content"] = error_content
        elif produces and status not in (204, 304):
            response["content"] = success["content"]
        op["responses"][str(status)] = response
    return op


bp = Blueprint("openapi")


@bp.get("/openapi.json")
async def openapi_json(request: Request) -> JSONResponse:
    if getattr(request.app.ctx, "openapi", None) is None:
        request.app.ctx.openapi = build(request.app)
    return json(request.app.ctx.openapi)

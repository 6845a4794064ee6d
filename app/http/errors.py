"""The one table from domain errors to HTTP statuses, and the one error body.

Every error answer is ``{"code", "message", "request_id"}`` plus ``details`` when there are
any. Codes are stable; messages are for people.
"""

from __future__ import annotations

import logging

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, json
from tortoise.exceptions import ValidationError as ColumnValidationError

from app import errors as e
from app.http import georeport
from infra import metrics
from infra.outages import is_outage
from payments import errors as pe

log = logging.getLogger("yiwang.http")

# The kinds of refusal, then the few classes whose status differs from their kind's.
# Most specific first: the first class in the MRO that appears here decides the status.
STATUS: dict[type[Exception], int] = {
    e.InvalidInput: 422,
    e.NotFound: 404,
    e.Conflict: 409,
    e.Forbidden: 403,
    e.Unauthenticated: 401,
    e.RateLimited: 429,
    e.ServiceUnavailable: 503,
    pe.PaymentError: 400,
    pe.PaymentInputRefused: 422,
    pe.PaymentNotFound: 404,
    pe.PaymentConflict: 409,
    pe.PaymentUnavailable: 503,
    # --- exceptions to their kind
    e.MalformedJson: 400,  # not even JSON: a bad request, not refused fields
    e.JsonTooLarge: 413,
    e.AgencyReplayed: 409,  # signed correctly, but seen before
    e.WaitlistOfferExpired: 410,
    e.UploadTooLarge: 413,
    e.UploadTypeNotAllowed: 415,
    pe.PaymentChannelFailed: 502,
}

# Sanic's own exceptions (routing, method, body size) by status, with our stable codes.
SANIC_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    503: "SERVICE_UNAVAILABLE",
}


def status_for(error: e.DomainError | pe.PaymentError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 400


def error_body(
    code: str, message: str, request_id: str | None, details: dict | None = None
) -> dict:
    body: dict[str, object] = {"code": code, "message": message, "request_id": request_id}
    if details:
        body["details"] = details
    return body


def _request_id(request: Request) -> str | None:
    return getattr(request.ctx, "request_id", None)


async def on_domain_error(
    request: Request, error: e.DomainError | pe.PaymentError
) -> HTTPResponse:
    status = status_for(error)
    headers = None
    if isinstance(error, e.RateLimited):
        headers = {"Retry-After": str(error.details.get("retry_after", 60))}
        route = request.route
        metrics.RATE_LIMIT_HITS.labels(
            "/" + route.path if route is not None else metrics.UNMATCHED_ROUTE
        ).inc()
    if georeport.speaks_georeport(request):
        return georeport.domain_error(request, error, status, headers)
    return json(
        error_body(error.code, error.message, _request_id(request), error.details),
        status=status,
        headers=headers,
    )


async def on_sanic_error(request: Request, error: SanicException) -> HTTPResponse:
    status = getattr(error, "status_code", 500) or 500
    code = SANIC_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
    message = str(error) if status < 500 else "Something went wrong on our side."
    # Sanic's own headers: Allow on a 405, the WWW-Authenticate or Retry-After it sets.
    headers = dict(getattr(error, "headers", None) or {})
    if georeport.speaks_georeport(request):  # unknown routes and methods there too
        headers[georeport.CODE_HEADER] = code
        return georeport.error_answer(request, status, [message], headers)
    return json(error_body(code, message, _request_id(request)), status=status, headers=headers)


async def on_unexpected(request: Request, error: Exception) -> HTTPResponse:
    if isinstance(error, ColumnValidationError):
        # The ORM's own check that a value fits its column (app.http.columns sizes inputs
        # from the same declarations, so reaching this means an input was not sized).
        log.warning("unsized input on %s %s: %s", request.method, request.path, error)
        if georeport.speaks_georeport(request):  # a malformed field: GeoReport's 400
            return georeport.error_answer(request, 400, ["A value does not fit its field."])
        return json(
            error_body("INVALID_INPUT", "A value does not fit its field.", _request_id(request)),
            status=422,
        )
    # A backing service that is down or saturated is a 503 the client may retry, not a bug.
    if is_outage(error):
        log.error("backing service unavailable on %s %s: %s", request.method, request.path, error)
        if georeport.speaks_georeport(request):
            return georeport.error_answer(
                request, 503, ["A backing service is busy or unavailable."], {"Retry-After": "5"}
            )
        return json(
            error_body(
                "SERVICE_UNAVAILABLE",
                "A backing service is busy or unavailable. Try again shortly.",
                _request_id(request),
            ),
            status=503,
            headers={"Retry-After": "5"},
        )
    log.exception("unhandled error on %s %s", request.method, request.path)
    if georeport.speaks_georeport(request):
        return georeport.error_answer(request, 500, ["Something went wrong on our side."])
    return json(
        error_body("INTERNAL_ERROR", "Something went wrong on our side.", _request_id(request)),
        status=500,
    )


def install(app: Sanic) -> None:
    app.error_handler.add(e.DomainError, on_domain_error)
    app.error_handler.add(pe.PaymentError, on_domain_error)
    app.error_handler.add(SanicException, on_sanic_error)
    app.error_handler.add(Exception, on_unexpected)

"""The one table from domain errors to HTTP statuses, and the one error body.

Every error answer is ``{"code", "message", "request_id"}`` plus ``details`` when there are
any. Codes are stable; messages are for people.
"""

from __future__ import annotations

import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, json
from tortoise.exceptions import DBConnectionError
from tortoise.exceptions import ValidationError as ColumnValidationError

from app import errors as e
from app.http import georeport
from payments import errors as pe

log = logging.getLogger("yiwang.http")

# Most specific first: the first class in the MRO that appears here decides the status.
STATUS: dict[type[Exception], int] = {
    e.InvalidInput: 422,
    e.MalformedJson: 400,
    e.JsonTooLarge: 413,
    e.InvalidIdNumber: 422,
    e.NotFound: 404,
    e.Unauthenticated: 401,
    e.TokenInvalid: 401,
    e.LoginCodeInvalid: 401,
    e.VerificationFailed: 422,
    e.VerificationNotYours: 403,
    e.NotVerified: 403,
    e.IdentityConflict: 409,
    e.Forbidden: 403,
    e.AgencySignatureInvalid: 401,
    e.AgencyTimestampSkewed: 401,
    e.AgencyReplayed: 409,
    e.RateLimited: 429,
    e.ChannelUnavailableError: 503,
    e.ServiceUnavailable: 503,
    # --- fees
    e.NoticeNotFound: 404,
    e.NoticeOverdue: 409,
    e.NoticePaid: 409,
    e.NoticeNotYours: 403,
    e.FeeItemUnknown: 422,
    e.FeeAmountInvalid: 422,
    e.AgencyKindForbidden: 403,
    # --- payments (payments sits below app, so its errors are their own tree)
    pe.PaymentError: 400,
    pe.OrderNotFound: 404,
    pe.AlreadyPaid: 409,
    pe.OrderClosed: 409,
    pe.OrderNotPayable: 409,
    pe.ChannelAccountMissing: 422,
    pe.RefundExceedsBalance: 409,
    pe.OrderNotRefundable: 409,
    pe.PaymentChannelFailed: 502,
    pe.PaymentChannelUnavailable: 503,
    pe.IdempotencyKeyMissing: 422,
    pe.IdempotencyKeyInvalid: 422,
    pe.IdempotencyKeyReused: 409,
    pe.RefundReviewNotFound: 404,
    pe.RefundReviewResolved: 409,
    pe.RefundReviewTradeMismatch: 409,
    pe.NotifySignatureInvalid: 400,
    pe.NotifyUnknownOrder: 404,
    pe.NotifyAmountMismatch: 400,
    # --- appointments
    e.SlotNotFound: 404,
    e.AppointmentNotFound: 404,
    e.SlotFull: 409,
    e.AlreadyBooked: 409,
    e.BookingBanned: 403,
    e.LimitReached: 409,
    e.NotYetReleased: 409,
    e.BookingClosed: 409,
    e.CancellationClosed: 409,
    e.AppointmentNotActive: 409,
    e.PaymentHoldExpired: 409,
    e.WaitlistNotNeeded: 409,
    e.WaitlistAlreadyJoined: 409,
    e.WaitlistEntryNotFound: 404,
    e.WaitlistNotOffered: 409,
    e.WaitlistOfferExpired: 410,
    e.CheckInCodeInvalid: 422,
    e.CheckInCodeUsed: 409,
    e.CheckInNotAllowed: 409,
    e.CapacityBelowBooked: 409,
    # catalog
    e.UnknownRegion: 422,
    e.InvalidItemCode: 422,
    e.ItemCodeTaken: 409,
    e.ManifestInvalid: 422,
    e.SelfReview: 403,
    e.WorkflowConflict: 409,
    e.OperatorLoginFailed: 401,
    # violations
    e.PlateTypeUnknown: 422,
    e.PlateNoInvalid: 422,
    e.VinInvalid: 422,
    e.VinTailInvalid: 422,
    e.LicenceNoInvalid: 422,
    e.FileNoInvalid: 422,
    e.OwnershipProofRequired: 422,
    e.VehicleNotFound: 404,
    e.DriverNotFound: 404,
    e.ViolationNotFound: 404,
    e.ViolationNotDecided: 409,
    # receipts
    e.ReceiptNotFound: 404,
    e.ReceiptNotIssuable: 409,
    # cases, evaluations, interactions
    e.FormInvalid: 422,
    e.UploadTooLarge: 413,
    e.UploadTypeNotAllowed: 415,
    e.MaterialNotFound: 404,
    e.ItemNotApplicable: 409,
    e.CaseNotFound: 404,
    e.CaseTransitionForbidden: 409,
    e.NotRateable: 409,
    e.AlreadyRated: 409,
    e.RectificationNotFound: 404,
    e.RectificationStepForbidden: 409,
    e.TicketNotFound: 404,
    e.TicketStepForbidden: 409,
    e.ReopenWindowClosed: 409,
    e.CategoryUnknown: 422,
    e.CaseFormSpecInvalid: 422,
    e.CaseFormNotFound: 404,
    e.CaseFormChanged: 409,
    e.CaseDeskNotFound: 404,
    e.AgencyUnknown: 422,
    e.DepartmentUnknown: 422,
    e.Open311KeyInvalid: 403,
    e.Open311ClientNotFound: 404,
    e.CategoryNotFound: 404,
    e.ServiceDefinitionInvalid: 422,
    e.AttributesInvalid: 422,
    # legal persons and cases on their behalf
    e.UsccInvalid: 422,
    e.LegalPersonNotFound: 404,
    e.LegalPersonDeregistered: 409,
    e.NotLegalRepresentative: 403,
    e.NotAuthorisedForLegalPerson: 403,
    e.AgentNameMismatch: 422,
    e.AgentAlreadyAuthorised: 409,
    e.AgentNotFound: 404,
    e.LegalPersonRequired: 422,
    e.OnBehalfNotAllowed: 422,
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


# A backing service that is down or saturated is a 503 the client may retry, not a bug.
UNAVAILABLE = (DBConnectionError, RedisConnectionError, RedisTimeoutError, ConnectionError)


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
    if isinstance(error, UNAVAILABLE) or "too many clients" in str(error):
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

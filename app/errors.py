"""The domain error tree. Every refusal a client can see is one of these, with a stable code.

No HTTP here: ``app/http/errors.py`` holds the one table that maps each class to a status.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "DOMAIN_ERROR"
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details


# --------------------------------------------------------------------------- input


class InvalidInput(DomainError):
    code = "INVALID_INPUT"
    message = "Some fields are missing or malformed."


class MalformedJson(InvalidInput):
    code = "MALFORMED_JSON"
    message = "The request body is not valid JSON."


class InvalidIdNumber(InvalidInput):
    code = "INVALID_ID_NUMBER"
    message = "The ID number is not a valid resident identity card number."


class NotFound(DomainError):
    code = "NOT_FOUND"
    message = "No such resource."


# --------------------------------------------------------------------------- identity


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    message = "Sign in first."


class TokenInvalid(Unauthenticated):
    code = "TOKEN_INVALID"
    message = "The session is unknown, expired or signed out. Sign in again."


class LoginCodeInvalid(DomainError):
    code = "LOGIN_CODE_INVALID"
    message = "The login code is unknown, expired or already used."


class VerificationFailed(DomainError):
    code = "VERIFICATION_FAILED"
    message = "Real-name verification did not pass."


class VerificationNotYours(DomainError):
    code = "VERIFICATION_NOT_YOURS"
    message = "This verification result belongs to another account."


class NotVerified(DomainError):
    code = "NOT_VERIFIED"
    message = "This service needs real-name verification first."


class IdentityConflict(DomainError):
    code = "IDENTITY_CONFLICT"
    message = "This channel account already belongs to another verified person."


class Forbidden(DomainError):
    code = "FORBIDDEN"
    message = "You may not do this."


# --------------------------------------------------------------------------- agencies


class AgencySignatureInvalid(DomainError):
    code = "AGENCY_SIGNATURE_INVALID"
    message = "The agency request is not correctly signed."


class AgencyTimestampSkewed(AgencySignatureInvalid):
    code = "AGENCY_TIMESTAMP_SKEWED"
    message = "The agency request timestamp is more than 5 minutes off."


class AgencyReplayed(AgencySignatureInvalid):
    code = "AGENCY_REQUEST_REPLAYED"
    message = "This signed agency request was already received."


# --------------------------------------------------------------------------- limits


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    message = "Too many requests. Try again shortly."


# --------------------------------------------------------------------------- infrastructure


class ChannelUnavailableError(DomainError):
    code = "CHANNEL_UNAVAILABLE"
    message = "The channel did not answer in time. Try again shortly."


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    message = "A backing service is unavailable."

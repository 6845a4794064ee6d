"""The domain error tree. Every refusal a client can see is one of these, with a stable code.

No HTTP here, but each refusal derives from the base that says what kind it is: refused
input (``InvalidInput``), ``NotFound``, ``Conflict``, ``Forbidden``, ``Unauthenticated``,
``RateLimited`` (too many) or ``ServiceUnavailable``. ``app/http/errors.py`` maps those
bases to statuses and lists only the exceptions to them.
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


class JsonTooDeep(MalformedJson):
    code = "JSON_TOO_DEEP"
    message = "The request body nests JSON arrays and objects too deeply."


class JsonTooLarge(InvalidInput):
    code = "JSON_TOO_LARGE"
    message = "The JSON request body is too large."


class InvalidIdNumber(InvalidInput):
    code = "INVALID_ID_NUMBER"
    message = "The ID number is not a valid resident identity card number."


class NotFound(DomainError):
    code = "NOT_FOUND"
    message = "No such resource."


class Conflict(DomainError):
    """The request is well formed but the state of things refuses it (409)."""

    code = "CONFLICT"
    message = "This conflicts with the current state; reload and try again."


class Forbidden(DomainError):
    code = "FORBIDDEN"
    message = "You may not do this."


# --------------------------------------------------------------------------- identity


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    message = "Sign in first."


class TokenInvalid(Unauthenticated):
    code = "TOKEN_INVALID"
    message = "The session is unknown, expired or signed out. Sign in again."


class LoginCodeInvalid(Unauthenticated):
    code = "LOGIN_CODE_INVALID"
    message = "The login code is unknown, expired or already used."


class VerificationFailed(InvalidInput):
    code = "VERIFICATION_FAILED"
    message = "Real-name verification did not pass."


class VerificationNotYours(Forbidden):
    code = "VERIFICATION_NOT_YOURS"
    message = "This verification result belongs to another account."


class NotVerified(Forbidden):
    code = "NOT_VERIFIED"
    message = "This service needs real-name verification first."


class IdentityConflict(Conflict):
    code = "IDENTITY_CONFLICT"
    message = "This channel account already belongs to another verified person."


# --------------------------------------------------------------------------- agencies


class AgencySignatureInvalid(Unauthenticated):
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


class SessionTooNew(RateLimited):
    code = "SESSION_TOO_NEW"
    message = (
        "Just after release, a session signed in seconds ago cannot book. Try again in a few"
        " seconds."
    )


class PollingThrottled(RateLimited):
    code = "POLLING_THROTTLED"
    message = (
        "Too many slot or booking requests from this account: wait before asking again"
        " (see Retry-After)."
    )


class SignInThrottled(RateLimited):
    code = "SIGN_IN_THROTTLED"
    message = "Too many failed sign-ins: wait before trying again (see Retry-After)."


# --------------------------------------------------------------------------- infrastructure


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    message = "A backing service is unavailable."


class ChannelUnavailableError(ServiceUnavailable):
    code = "CHANNEL_UNAVAILABLE"
    message = "The channel did not answer in time. Try again shortly."
class MetricsForbidden(Forbidden):
    code = "METRICS_FORBIDDEN"
    message = "Metrics are for this machine, or for a scraper holding the metrics token."


# --------------------------------------------------------------------------- catalog


class UnknownRegion(InvalidInput):
    code = "UNKNOWN_REGION"
    message = "No such region code."


class InvalidItemCode(InvalidInput):
    code = "INVALID_ITEM_CODE"
    message = "An item code is a type prefix, a 6-digit region, a 5-digit main and a 3-digit sub."


class ItemCodeTaken(Conflict):
    code = "ITEM_CODE_TAKEN"
    message = "This item code is in use or was retired; codes are never reused."


class ManifestInvalid(InvalidInput):
    code = "MANIFEST_INVALID"
    message = "The mini-app manifest has problems; see details.problems."


class SelfReview(Forbidden):
    code = "SELF_REVIEW"
    message = "A reviewer may not review a version they submitted."


class WorkflowConflict(Conflict):
    code = "WORKFLOW_CONFLICT"
    message = "The mini-app is not in a state that allows this step."


class ItemGuideInvalid(InvalidInput):
    code = "ITEM_GUIDE_INVALID"
    message = "The item or its guide has problems; see details.problems. Nothing was stored."


class ItemChanged(Conflict):
    code = "ITEM_CHANGED"
    message = "Someone made a newer version of this item; reload it and edit that one."


class ItemNotReviewed(Conflict):
    code = "ITEM_NOT_REVIEWED"
    message = "Only an approved version can be published; it needs a second operator's review."


class ItemRetired(Conflict):
    code = "ITEM_RETIRED"
    message = "This item is retired; it cannot change, and its code is never reused."


class ItemNotFound(NotFound):
    code = "ITEM_NOT_FOUND"
    message = "No published service item has this code."


class ItemFeedMissing(Forbidden):
    code = "ITEM_FEED_MISSING"
    message = "This agency does not sync this department's items."


class OperatorLoginFailed(Unauthenticated):
    code = "OPERATOR_LOGIN_FAILED"
    message = "Wrong username or password."


# --------------------------------------------------------------------------- violations


class PlateTypeUnknown(InvalidInput):
    code = "PLATE_TYPE_UNKNOWN"
    message = "Unknown plate type: use a GA 24.7 code such as 01, 02, 51 or 52."


class PlateNoInvalid(InvalidInput):
    code = "PLATE_NO_INVALID"
    message = "The plate number does not follow GA 36."


class VinInvalid(InvalidInput):
    code = "VIN_INVALID"
    message = "A VIN is 17 characters: digits and letters except I, O and Q."


class VinTailInvalid(InvalidInput):
    code = "VIN_TAIL_INVALID"
    message = "Give the last 6 characters of the VIN (digits and letters except I, O and Q)."


class LicenceNoInvalid(InvalidInput):
    code = "LICENCE_NO_INVALID"
    message = "A driving licence number is 18 characters, like a resident ID number."


class FileNoInvalid(InvalidInput):
    code = "FILE_NO_INVALID"
    message = "A driving licence file number (档案编号) is 12 digits."


class OwnershipProofRequired(InvalidInput):
    code = "OWNERSHIP_PROOF_REQUIRED"
    message = "Give the last 6 characters of the VIN, or bind this vehicle first."


class VehicleNotFound(NotFound):
    code = "VEHICLE_NOT_FOUND"
    message = "No vehicle matches this plate and VIN."


class DriverNotFound(NotFound):
    code = "DRIVER_NOT_FOUND"
    message = "No driving licence matches this licence number and file number."


class ViolationNotFound(NotFound):
    code = "VIOLATION_NOT_FOUND"
    message = "No such violation among your vehicles and licences."


class ViolationNotDecided(Conflict):
    code = "VIOLATION_NOT_DECIDED"
    message = (
        "This violation has no penalty decision yet: handle it first (交管12123 or a traffic "
        "police counter), then pay the decided fine."
    )


# --------------------------------------------------------------------------- appointments


class SlotNotFound(NotFound):
    code = "SLOT_NOT_FOUND"
    message = "No such appointment slot."


class AppointmentNotFound(NotFound):
    code = "APPOINTMENT_NOT_FOUND"
    message = "No such appointment among yours."


class SlotFull(Conflict):
    code = "SLOT_FULL"
    message = "This time is fully booked. Pick another time, or join the waitlist (候补)."


class AlreadyBooked(Conflict):
    code = "ALREADY_BOOKED"
    message = "You already have an appointment with this doctor or window in this session."


class BookingBanned(Forbidden):
    code = "BOOKING_BANNED"
    message = (
        "After repeated missed appointments (爽约), booking is suspended until the date shown."
    )


class LimitReached(Conflict):
    code = "LIMIT_REACHED"
    message = "You have reached the number of appointments allowed for this period."


class NotYetReleased(Conflict):
    code = "NOT_YET_RELEASED"
    message = "These appointments are not open yet (放号). They open at the time shown."


class LotteryNotOpen(Conflict):
    code = "LOTTERY_NOT_OPEN"
    message = "Entry to this lottery (摇号) has not opened yet. It opens at the time shown."


class LotteryClosed(Conflict):
    code = "LOTTERY_CLOSED"
    message = "Entry to this lottery (摇号) has closed."


class LotteryAlreadyEntered(Conflict):
    code = "LOTTERY_ALREADY_ENTERED"
    message = "You have already entered the lottery for this doctor or window in this session."


class EntryForOthers(Forbidden):
    code = "ENTRY_FOR_OTHERS"
    message = "You can only enter or book for yourself; staff book for others at the hall."


class NotALottery(NotFound):
    code = "NOT_A_LOTTERY"
    message = "This slot is released first come, not by lottery."


class ReleaseModeLocked(Conflict):
    code = "RELEASE_MODE_LOCKED"
    message = "A lottery slot cannot be switched to first come, nor a booked slot to a lottery."


class BookingClosed(Conflict):
    code = "BOOKING_CLOSED"
    message = "Booking for this time has closed."


class CancellationClosed(Conflict):
    code = "CANCELLATION_CLOSED"
    message = "This appointment can no longer be cancelled online; the deadline has passed."


class AppointmentNotActive(Conflict):
    code = "APPOINTMENT_NOT_ACTIVE"
    message = "This appointment is no longer active."


class PaymentHoldExpired(Conflict):
    code = "PAYMENT_HOLD_EXPIRED"
    message = "The seat was held for payment and the time ran out. Book again."


class WaitlistNotNeeded(Conflict):
    code = "WAITLIST_NOT_NEEDED"
    message = "This time still has free places: book it directly."


class WaitlistAlreadyJoined(Conflict):
    code = "WAITLIST_ALREADY_JOINED"
    message = "You are already on the waitlist for this time."


class WaitlistEntryNotFound(NotFound):
    code = "WAITLIST_ENTRY_NOT_FOUND"
    message = "No such waitlist entry among yours."


class WaitlistNotOffered(Conflict):
    code = "WAITLIST_NOT_OFFERED"
    message = "No place has been offered to you for this time yet."


class WaitlistOfferExpired(DomainError):
    code = "WAITLIST_OFFER_EXPIRED"
    message = "The place offered to you was not taken in time and has passed to the next person."


class CheckInCodeInvalid(InvalidInput):
    code = "CHECKIN_CODE_INVALID"
    message = "This check-in code is not genuine."


class CheckInCodeUsed(Conflict):
    code = "CHECKIN_CODE_USED"
    message = "This check-in code was already used."


class CheckInNotAllowed(Conflict):
    code = "CHECKIN_NOT_ALLOWED"
    message = "This appointment cannot be checked in now."


class CapacityBelowBooked(Conflict):
    code = "CAPACITY_BELOW_BOOKED"
    message = "A slot's capacity cannot drop below the places already booked."


class NoKeptSeat(Conflict):
    code = "NO_KEPT_SEAT"
    message = (
        "No kept seat is left in this slot for staff booking (all taken, or opened to"
        " everyone); book it like any resident or pick another slot."
    )


class ResidentNameMismatch(InvalidInput):
    code = "RESIDENT_NAME_MISMATCH"
    message = "The name does not match the verified holder of this ID number."


# --- fees


class NoticeNotFound(NotFound):
    code = "NOTICE_NOT_FOUND"
    message = "No payment notice has this code."


class NoticeOverdue(Conflict):
    code = "NOTICE_OVERDUE"
    message = "This payment notice is past its due date. Contact the issuing agency."



class NoticeNotYours(Forbidden):
    code = "NOTICE_NOT_YOURS"
    message = "This payment notice is addressed to another person."


class FeeItemUnknown(InvalidInput):
    code = "FEE_ITEM_UNKNOWN"
    message = "A line names a fee item this agency does not collect."


class FeeAmountInvalid(InvalidInput):
    code = "FEE_AMOUNT_INVALID"
    message = "A line's amount does not match the fee item's standard or allowed range."


class AgencyKindForbidden(Forbidden):
    code = "AGENCY_KIND_FORBIDDEN"
    message = "This agency may not call this endpoint."


# --------------------------------------------------------------------------- receipts


class ReceiptNotFound(NotFound):
    code = "RECEIPT_NOT_FOUND"
    message = "No such receipt among yours."


class ReceiptNotIssuable(Conflict):
    code = "RECEIPT_NOT_ISSUABLE"
    message = "A receipt is issued only for a paid order."


# --- cases, evaluations, interactions, supervision


class FormInvalid(InvalidInput):
    code = "FORM_INVALID"
    message = "The application form does not match the item's form."


class UploadTooLarge(InvalidInput):
    code = "UPLOAD_TOO_LARGE"
    message = "The file is larger than uploads may be."


class UploadTypeNotAllowed(InvalidInput):
    code = "UPLOAD_TYPE_NOT_ALLOWED"
    message = "Only PDF, JPEG and PNG files are accepted (checked by their content)."


class MaterialNotFound(NotFound):
    code = "MATERIAL_NOT_FOUND"
    message = "No such material or e-licence on file for you."


class ItemNotApplicable(Conflict):
    code = "ITEM_NOT_APPLICABLE"
    message = "This service item cannot be applied for online."


class CaseNotFound(NotFound):
    code = "CASE_NOT_FOUND"
    message = "No such case."


class CaseTransitionForbidden(Conflict):
    code = "CASE_TRANSITION_FORBIDDEN"
    message = "The case is not in a state that allows this step."


class NotRateable(Conflict):
    code = "NOT_RATEABLE"
    message = "You can rate only a service you used and that is finished."


class AlreadyRated(Conflict):
    code = "ALREADY_RATED"
    message = "This service has already been rated."


class RectificationNotFound(NotFound):
    code = "RECTIFICATION_NOT_FOUND"
    message = "No such rectification ticket."


class RectificationStepForbidden(Conflict):
    code = "RECTIFICATION_STEP_FORBIDDEN"
    message = "The rectification ticket is not in a state that allows this step."


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"
    message = "No such consultation, complaint or report."


class TicketStepForbidden(Conflict):
    code = "TICKET_STEP_FORBIDDEN"
    message = "The ticket is not in a state that allows this step."


class ReopenWindowClosed(Conflict):
    code = "REOPEN_WINDOW_CLOSED"

    def __init__(self, *, days: int) -> None:
        """The window is a setting (SERVICE_TICKET_REOPEN_DAYS), so the message reads it."""
        super().__init__(f"A reply can be reopened only within {days} days.", days=days)


class CategoryUnknown(InvalidInput):
    code = "CATEGORY_UNKNOWN"
    message = "No such 12345 category (service_code)."


class CaseFormSpecInvalid(InvalidInput):
    code = "CASE_FORM_SPEC_INVALID"
    message = "The form definition has problems; nothing was changed."


class CaseFormNotFound(NotFound):
    code = "CASE_FORM_NOT_FOUND"
    message = "No form is defined for this service item (or no such version)."


class CaseFormChanged(Conflict):
    code = "CASE_FORM_CHANGED"
    message = "The form was changed meanwhile; reload it and apply your change again."


class CaseDeskNotFound(NotFound):
    code = "CASE_DESK_NOT_FOUND"
    message = "No such case desk."


class AgencyUnknown(InvalidInput):
    code = "AGENCY_UNKNOWN"
    message = "No active agency has this key."


class DepartmentUnknown(InvalidInput):
    code = "DEPARTMENT_UNKNOWN"
    message = "No such department (or not one of yours)."


class Open311KeyInvalid(Forbidden):
    code = "OPEN311_API_KEY_INVALID"
    message = "api_key is missing, unknown or revoked."


class Open311ClientNotFound(NotFound):
    code = "OPEN311_CLIENT_NOT_FOUND"
    message = "No such Open311 client."


class CategoryNotFound(NotFound):
    code = "CATEGORY_NOT_FOUND"
    message = "No such 12345 category (Open311 service)."


class ServiceDefinitionInvalid(InvalidInput):
    code = "SERVICE_DEFINITION_INVALID"
    message = "The service definition has problems; nothing was changed."


class AttributesInvalid(InvalidInput):
    """A request's attribute[...] answers do not fit its service definition (every problem
    named); the request is well formed, so this stays 422 under GeoReport too."""

    code = "OPEN311_ATTRIBUTES_INVALID"
    message = "Some attributes do not fit the service definition."


# --- legal persons (identity) and cases on their behalf


class UsccInvalid(InvalidInput):
    code = "USCC_INVALID"
    message = (
        "A unified social credit code (统一社会信用代码) is 18 characters with a GB 32100 "
        "check character."
    )


class LegalPersonNotFound(NotFound):
    code = "LEGAL_PERSON_NOT_FOUND"
    message = "No legal person is registered under this unified social credit code."


class LegalPersonDeregistered(Conflict):
    code = "LEGAL_PERSON_DEREGISTERED"
    message = "This legal person is deregistered (注销) and can no longer act."


class NotLegalRepresentative(Forbidden):
    code = "NOT_LEGAL_REPRESENTATIVE"
    message = "Only the legal representative may appoint, list or revoke agents."


class NotAuthorisedForLegalPerson(Forbidden):
    code = "NOT_AUTHORISED_FOR_LEGAL_PERSON"
    message = "You are neither the legal representative nor a current agent of this legal person."


class AgentNameMismatch(InvalidInput):
    code = "AGENT_NAME_MISMATCH"
    message = "The name does not match the verified holder of this ID number."


class AgentAlreadyAuthorised(Conflict):
    code = "AGENT_ALREADY_AUTHORISED"
    message = "This person is already a current agent. Revoke the authorisation to change it."


class AgentNotFound(NotFound):
    code = "AGENT_NOT_FOUND"
    message = "No such agent of this legal person."


class LegalPersonRequired(InvalidInput):
    code = "LEGAL_PERSON_REQUIRED"
    message = "This item is for legal persons: say on_behalf_of which one (its USCC)."


class OnBehalfNotAllowed(InvalidInput):
    code = "ON_BEHALF_NOT_ALLOWED"
    message = "This item is for individuals and cannot be applied for on behalf of a legal person."


# --------------------------------------------------------------------------- bundles (一件事)


class BundleNotFound(NotFound):
    code = "BUNDLE_NOT_FOUND"
    message = "No such published bundle (一件事)."


class BundleCaseNotFound(NotFound):
    code = "BUNDLE_CASE_NOT_FOUND"
    message = "No such bundle case."


class BundleDefinitionInvalid(InvalidInput):
    code = "BUNDLE_DEFINITION_INVALID"
    message = "The bundle definition has problems."


class BundleWorkflowConflict(Conflict):
    code = "BUNDLE_WORKFLOW_CONFLICT"
    message = "The bundle definition is not in a state that allows this step."


class BundleRequestReused(Conflict):
    code = "BUNDLE_REQUEST_REUSED"
    message = "This Idempotency-Key was already used for a different bundle application."


class BundleMaterialPending(Conflict):
    code = "BUNDLE_MATERIAL_PENDING"
    message = "A material accepted as pending (容缺) has not been supplied yet."


class BundleSupplementUnneeded(InvalidInput):
    code = "BUNDLE_SUPPLEMENT_UNNEEDED"
    message = "No case of this bundle is waiting for what was sent."


class BundleNotFinished(Conflict):
    code = "BUNDLE_NOT_FINISHED"
    message = "The bundle can be rated once every case of it is finished."

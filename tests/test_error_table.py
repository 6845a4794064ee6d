"""Errors: the kind of refusal is the base class, the status table lists only the
exceptions, and each code means one thing."""

from __future__ import annotations

from app import errors as e
from app.http.errors import STATUS, status_for
from payments import errors as pe

KINDS = {
    e.InvalidInput, e.NotFound, e.Conflict, e.Forbidden, e.Unauthenticated, e.RateLimited,
    e.ServiceUnavailable, pe.PaymentError, pe.PaymentInputRefused, pe.PaymentNotFound,
    pe.PaymentConflict, pe.PaymentUnavailable,
}  # fmt: skip


def _all(root: type[Exception]) -> list[type[Exception]]:
    found = []
    for sub in root.__subclasses__():
        found += [sub, *_all(sub)]
    return found


ERRORS = _all(e.DomainError) + _all(pe.PaymentError)


def test_the_table_holds_the_kinds_and_only_the_exceptions_to_them() -> None:
    for cls in set(STATUS) - KINDS:
        inherited = next((STATUS[b] for b in cls.__mro__[1:] if b in STATUS), 400)
        assert STATUS[cls] != inherited, f"{cls.__name__} repeats what its base gives"
    assert len(STATUS) <= len(KINDS) + 8


def test_every_refusal_a_client_can_see_has_a_kind() -> None:
    """A 400 is a body that is not even JSON, or a channel's notification we refuse."""
    plain = {c for c in ERRORS if status_for(c.__new__(c)) == 400}
    unparsable = {c for c in plain if issubclass(c, e.MalformedJson)}
    assert {c.__name__ for c in plain - unparsable} == {
        "NotifyAmountMismatch",
        "NotifySignatureInvalid",
    }


def test_one_code_per_meaning() -> None:
    codes: dict[str, list[str]] = {}
    for cls in ERRORS:
        codes.setdefault(cls.code, []).append(cls.__name__)
    assert {code: names for code, names in codes.items() if len(names) > 1} == {}


def test_a_message_naming_a_setting_reads_it() -> None:
    assert "within 3 days" in e.ReopenWindowClosed(days=3).message
    assert e.ReopenWindowClosed(days=3).details == {"days": 3}

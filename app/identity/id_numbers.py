"""Resident identity card numbers per GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check."""

from __future__ import annotations

from datetime import date

from app.errors import InvalidIdNumber

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalise_id_number(raw: str) -> str:
    """Return the canonical (upper-case X) number, or raise InvalidIdNumber saying why."""
    value = raw.strip().upper()
    if (
        len(value) != 18
        or not value[:17].isdigit()
        or not (value[17].isdigit() or value[17] == "X")
    ):
        raise InvalidIdNumber("An ID number has 17 digits followed by a digit or X.")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("The birth date inside the ID number is not a real date.") from exc
    if check_character(value[:17]) != value[17]:
        raise InvalidIdNumber("The ID number's check digit does not match (GB 11643).")
    return value


def with_check_digit(first17: str) -> str:
    """Complete 17 digits into a valid number (demo data and tests)."""
    return first17 + check_character(first17)


def birth_date(id_number: str) -> date:
    """The birth date digits 7–14 of a normalised number carry."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def age_on(id_number: str, day: date) -> int:
    """Full years on ``day`` (a Shanghai date); someone born on 29 February turns a year
    older on 1 March in common years."""
    born = birth_date(id_number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

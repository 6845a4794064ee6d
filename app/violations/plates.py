"""Plate types (GA 24.7) and plate numbers (GA 36), VINs and licence numbers.

Every value a resident or an agency sends is normalised here first, so the rest of the room
compares canonical strings: upper case, no spaces, no separator dot (浙A·12345 → 浙A12345).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import (
    FileNoInvalid,
    LicenceNoInvalid,
    PlateNoInvalid,
    PlateTypeUnknown,
    VinInvalid,
    VinTailInvalid,
)

VIN_TAIL_LENGTH = 6

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# GA 36 never uses I or O on a plate (they read as 1 and 0).
_SERIAL = "[A-HJ-NP-Z0-9]"
_AUTHORITY = f"[{PROVINCES}][A-HJ-NP-Z]"
_REGULAR = re.compile(f"^{_AUTHORITY}{_SERIAL}{{5}}$")
_LARGE_NEW_ENERGY = re.compile(f"^{_AUTHORITY}[0-9]{{5}}[A-HJK]$")
_SMALL_NEW_ENERGY = re.compile(f"^{_AUTHORITY}[A-HJK]{_SERIAL}[0-9]{{4}}$")


def _suffixed(mark: str) -> re.Pattern[str]:
    return re.compile(f"^{_AUTHORITY}{_SERIAL}{{4}}{mark}$")


@dataclass(frozen=True)
class PlateType:
    code: str
    name: str
    pattern: re.Pattern[str]
    # Shown when a plate does not match, so the resident knows what this type looks like.
    example: str


# The GA 24.7 types whose plates follow the GA 36 province-letter layout. Embassy, consulate
# and foreign plates use other layouts and are handled at the counter, not by this lookup.
PLATE_TYPES: dict[str, PlateType] = {
    t.code: t
    for t in (
        PlateType("01", "大型汽车", _REGULAR, "浙A12345"),
        PlateType("02", "小型汽车", _REGULAR, "浙A12345"),
        PlateType("07", "普通摩托车", _REGULAR, "浙A12345"),
        PlateType("08", "轻便摩托车", _REGULAR, "浙A12345"),
        PlateType("13", "低速车", _REGULAR, "浙A12345"),
        PlateType("15", "挂车", _suffixed("挂"), "浙A1234挂"),
        PlateType("16", "教练汽车", _suffixed("学"), "浙A1234学"),
        PlateType("17", "教练摩托车", _suffixed("学"), "浙A1234学"),
        PlateType("23", "警用汽车", _suffixed("警"), "浙A1234警"),
        PlateType("24", "警用摩托", _suffixed("警"), "浙A1234警"),
        PlateType("51", "大型新能源汽车", _LARGE_NEW_ENERGY, "浙A12345D"),
        PlateType("52", "小型新能源汽车", _SMALL_NEW_ENERGY, "浙AD12345"),
    )
}
NEW_ENERGY = ("51", "52")

_SEPARATORS = re.compile(r"[\s·•.\-]")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")  # ISO 3779: no I, O or Q
_VIN_TAIL = re.compile(rf"^[A-HJ-NPR-Z0-9]{{{VIN_TAIL_LENGTH}}}$")
_LICENCE_NO = re.compile(r"^\d{17}[\dX]$")
_FILE_NO = re.compile(r"^\d{12}$")


def plate_type(code: str | None) -> PlateType:
    found = PLATE_TYPES.get((code or "").strip())
    if found is None:
        raise PlateTypeUnknown(known=sorted(PLATE_TYPES))
    return found


def plate_no(kind: PlateType, raw: str | None) -> str:
    """The canonical plate number for ``kind``, or PlateNoInvalid saying what was expected."""
    value = _SEPARATORS.sub("", raw or "").upper()
    if kind.pattern.match(value):
        return value
    if len(value) == 8 and kind.code not in NEW_ENERGY and _SMALL_NEW_ENERGY.match(value):
        message = "An 8-character plate is a new-energy plate: use plate type 51 or 52."
    else:
        message = (
            f"A {kind.name} plate ({kind.code}) is a province character, a letter and "
            f"{'6' if kind.code in NEW_ENERGY else '5'} characters, e.g. {kind.example}."
        )
    raise PlateNoInvalid(message, plate_type=kind.code, example=kind.example)


def vin(raw: str | None) -> str:
    value = (raw or "").strip().upper()
    if not _VIN.match(value):
        raise VinInvalid()
    return value


def vin_tail(raw: str | None) -> str:
    value = (raw or "").strip().upper()
    if not _VIN_TAIL.match(value):
        raise VinTailInvalid(length=VIN_TAIL_LENGTH)
    return value


def licence_no(raw: str | None) -> str:
    value = (raw or "").strip().upper()
    if not _LICENCE_NO.match(value):
        raise LicenceNoInvalid()
    return value


def file_no(raw: str | None) -> str:
    value = (raw or "").strip()
    if not _FILE_NO.match(value):
        raise FileNoInvalid()
    return value


def mask_vin(value: str) -> str:
    """Keep only the maker prefix (WMI): the tail is the ownership proof and stays secret."""
    return value[:3] + "*" * (len(value) - 3)

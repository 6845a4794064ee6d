"""GA 36 plates and GA 24.7 plate types, VINs and licence numbers."""

from __future__ import annotations

import pytest

from app import errors
from app.violations import plates


@pytest.mark.parametrize(
    ("plate_type", "raw", "canonical"),
    [
        ("02", "浙A12345", "浙A12345"),
        ("02", " 浙a·1b2c3 ", "浙A1B2C3"),
        ("01", "沪B00001", "沪B00001"),
        ("52", "浙AD12345", "浙AD12345"),
        ("52", "粤BFA1234", "粤BFA1234"),
        ("51", "浙A12345D", "浙A12345D"),
        ("15", "浙A1234挂", "浙A1234挂"),
        ("16", "浙A1234学", "浙A1234学"),
        ("23", "浙A1234警", "浙A1234警"),
    ],
)
def test_valid_plates_are_normalised(plate_type: str, raw: str, canonical: str) -> None:
    assert plates.plate_no(plates.plate_type(plate_type), raw) == canonical


@pytest.mark.parametrize(
    ("plate_type", "raw"),
    [
        ("02", "浙A1234"),  # too short
        ("02", "浙A123456"),  # 6 characters on an ordinary plate
        ("02", "AA12345"),  # no province
        ("02", "浙112345"),  # the second character must be a letter
        ("02", "浙AI2345"),  # GA 36 never uses I
        ("02", "浙AO2345"),  # ... or O
        ("52", "浙A12345"),  # a new-energy plate has 6 characters
        ("52", "浙AZ12345"),  # Z is not a new-energy energy-type letter
        ("51", "浙AD12345"),  # the large new-energy letter goes last
        ("15", "浙A12345"),  # a trailer plate ends in 挂
        ("02", ""),
    ],
)
def test_malformed_plates_are_refused(plate_type: str, raw: str) -> None:
    with pytest.raises(errors.PlateNoInvalid) as refused:
        plates.plate_no(plates.plate_type(plate_type), raw)
    assert refused.value.code == "PLATE_NO_INVALID"


def test_an_eight_character_plate_under_an_ordinary_type_points_at_new_energy() -> None:
    with pytest.raises(errors.PlateNoInvalid) as refused:
        plates.plate_no(plates.plate_type("02"), "浙AD12345")
    assert "51 or 52" in refused.value.message


@pytest.mark.parametrize("code", ["", "99", "2", "03", None, "020"])
def test_unknown_plate_types_are_refused(code: str | None) -> None:
    with pytest.raises(errors.PlateTypeUnknown) as refused:
        plates.plate_type(code)
    assert refused.value.code == "PLATE_TYPE_UNKNOWN"
    assert "52" in refused.value.details["known"]


def test_vin_tails_have_exactly_six_characters() -> None:
    assert plates.vin_tail("a12345") == "A12345"
    for bad in ("12345", "1234567", "", None, "12345I", "ABC-12"):
        with pytest.raises(errors.VinTailInvalid):
            plates.vin_tail(bad)


def test_vins_licences_and_file_numbers() -> None:
    assert plates.vin("lsvau2a37n2123456") == "LSVAU2A37N2123456"
    with pytest.raises(errors.VinInvalid):
        plates.vin("LSVAU2A37N212345O")  # O is not a VIN character
    assert plates.licence_no("33010619900307123x") == "33010619900307123X"
    with pytest.raises(errors.LicenceNoInvalid):
        plates.licence_no("3301061990030712")
    assert plates.file_no("330100123456") == "330100123456"
    with pytest.raises(errors.FileNoInvalid):
        plates.file_no("33010012345")
    assert plates.mask_vin("LSVAU2A37N2123456") == "LSV" + "*" * 14

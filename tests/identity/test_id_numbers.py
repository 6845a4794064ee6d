import pytest

from app.errors import InvalidIdNumber
from app.identity.id_numbers import check_character, normalise_id_number, with_check_digit


def test_a_known_number_has_the_published_check_character() -> None:
    # GB 11643's worked example: 11010519491231002X.
    assert check_character("11010519491231002") == "X"
    assert normalise_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize("last", list("0123456789X"))
def test_every_wrong_check_character_is_refused(last: str) -> None:
    good = with_check_digit("33010619900307123")
    if last == good[-1]:
        assert normalise_id_number(good[:-1] + last) == good
    else:
        with pytest.raises(InvalidIdNumber, match="check digit"):
            normalise_id_number(good[:-1] + last)


@pytest.mark.parametrize(
    "raw",
    ["", "3301061990030712", "33010619900307123X1", "33010619901307123X", "A30106199003071236"],
)
def test_malformed_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdNumber):
        normalise_id_number(raw)


def test_an_impossible_birth_date_is_refused_even_with_a_matching_check_digit() -> None:
    with pytest.raises(InvalidIdNumber, match="birth date"):
        normalise_id_number(with_check_digit("33010619900230123"))

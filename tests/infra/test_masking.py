"""Masks and free-text redaction, property-tested: however a resident or a client writes an
ID or phone number, what leaves in a response or a log line does not contain it."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from infra.masking import mask_id_number, mask_name, mask_phone, redact

FULL_WIDTH = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})
DIGITS = re.compile(r"\d")
# Surroundings with no digits: letters (also glued on), CJK, punctuation, JSON.
FILLER = st.text(
    alphabet=st.sampled_from([*'abcXYZ 电话身份证号：,;"{}[]()/=_', "\n", "\t"]),
    max_size=12,
)


def _fold_digits(text: str) -> str:
    return "".join(str(int(ch)) for ch in text if ch.isdigit())


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """(the number, the number as someone wrote it)."""
    number = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    sep = draw(st.sampled_from(["", " ", "-", ".", "\u00a0"]))
    written = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "0086 ", "86", "(+86)", "(+86) "]))
    written = prefix + written
    if draw(st.booleans()):
        written = written.translate(FULL_WIDTH).replace("+", "＋")
    return number, written


@st.composite
def id_numbers(draw: st.DrawFn) -> tuple[str, str]:
    region = draw(st.sampled_from("12345678")) + draw(st.text("0123456789", min_size=5, max_size=5))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)))
    serial = draw(st.text("0123456789", min_size=3, max_size=3))
    number = region + born.strftime("%Y%m%d") + serial + draw(st.sampled_from("0123456789X"))
    sep = draw(st.sampled_from(["", " ", "-"]))
    if draw(st.booleans()):
        written = f"{number[:6]}{sep}{number[6:14]}{sep}{number[14:]}"
    else:
        written = f"{number[:6]}{sep}{number[6:10]}{sep}{number[10:14]}{sep}{number[14:]}"
    if draw(st.booleans()):
        written = written.translate(FULL_WIDTH)
    return number, written


@settings(max_examples=300, deadline=None)
@given(mobiles(), FILLER, FILLER)
def test_a_mobile_number_in_any_written_form_is_masked(
    phone: tuple[str, str], before: str, after: str
) -> None:
    number, written = phone
    out = redact(before + written + after)
    assert number not in _fold_digits(out)
    assert f"{number[:3]}****{number[7:]}" in out


@settings(max_examples=300, deadline=None)
@given(id_numbers(), FILLER, FILLER)
def test_an_id_number_in_any_written_form_is_masked(
    id_number: tuple[str, str], before: str, after: str
) -> None:
    number, written = id_number
    out = redact(before + written + after)
    assert number[:17] not in _fold_digits(out)
    assert f"{number[:6]}********{number[14:]}" in out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(mobiles(), id_numbers()), min_size=1, max_size=4), FILLER)
def test_several_numbers_in_one_text_are_all_masked(
    found: list[tuple[str, str]], glue: str
) -> None:
    out = redact((glue or " ").join(written for _, written in found))
    for number, _ in found:
        assert number[:11] not in _fold_digits(out)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_redaction_is_idempotent_and_leaves_digitless_text_alone(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
    if not any(ch.isdigit() for ch in text):
        assert once == text


def test_the_forms_the_issue_found_leaking() -> None:
    cases = {
        "+8613800138000": "+86 138****8000",
        "138 0013 8000": "138****8000",
        "138-0013-8000": "138****8000",
        "１３８００１３８０００": "138****8000",
        "YW330106199003071236": "YW330106********1236",
        "req-13800138000-330106199003071236": "req-138****8000-330106********1236",
        "座机 0571-88886666": "座机 0571-****6666",
    }
    for text, masked in cases.items():
        assert redact(text) == masked, text


def test_identifiers_that_are_not_personal_data_stay_readable() -> None:
    for text in ("order YW202611220000000001", "payment code 33010026103000000017", "2026-12-01"):
        assert redact(text) == text


def test_masks_follow_the_public_service_forms_and_have_a_fixed_size() -> None:
    assert mask_id_number("33010619900307123X") == "330106********123X"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("名" * 60) == "名***"
    assert len(mask_id_number("9" * 64)) == 18 and len(mask_phone("1" * 40)) == 11


def test_the_shortest_number_is_still_masked_and_short_digit_runs_are_left_alone() -> None:
    # Ten digits is the shortest thing redact masks (a 3-digit area code, 7 digits); below
    # that the text comes back unchanged without the patterns being tried.
    assert redact("call 021-1234567 now") == "call 021-****4567 now"
    assert redact("（０２１）１２３４５６７") == "(021)****4567"
    for text in ("GET /api/v1/orders/123456789 200 12.5ms", "1 2 3 4 5 6 7 8 9", "YW-2026"):
        assert redact(text) is text

"""Masks for personal data: the one place that decides what a name, an ID number or a phone
number looks like in a response, on a public page or in a log line.

Fields get the usual Chinese public-service forms (``330106********123X``, ``138****8000``,
``张*``). Free text (what residents type, log lines) goes through :func:`redact`, which finds
ID and phone numbers in the ways people write them: with ``+86``/``0086``/``86`` in front,
spaced or dashed into groups, in full-width digits (``１３８…``), glued to letters
(``YW330106199003071236``). Masks have a fixed size, so a long value never overflows the
column that keeps its mask.
"""

from __future__ import annotations

import re

# Full-width digits and signs become ASCII, one character for one, so a match in the folded
# text has the same span in the original.
_FOLD = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)}
    | {"＋": "+", "－": "-", "（": "(", "）": ")", "　": " ", "Ｘ": "X", "ｘ": "x"}
)

_SEP = r"[ \-.\u00a0]"
_MOBILE = re.compile(
    rf"(?<!\d)(?P<prefix>\(?(?:\+|00)86\)?{_SEP}?|86{_SEP}?)?"
    rf"(?P<head>1[3-9]\d)(?P<s>{_SEP}?)(?P<mid>\d{{4}})(?P=s)(?P<tail>\d{{4}})(?!\d)"
)
_LANDLINE = re.compile(
    rf"(?<!\d)(?P<area>\(0\d{{2,3}}\)|0\d{{2,3}}-)(?P<s>{_SEP}?)(?P<number>\d{{7,8}})(?!\d)"
)
# 18 characters: a region (first digit 1-8), a birth date, 3 digits and a digit or X; whole
# or in groups of 6-8-4 or 6-4-4-4. The date tells it from other 18-digit identifiers.
_ID_NUMBER = re.compile(
    rf"(?<!\d)(?P<head>[1-8]\d{{5}})(?P<s>{_SEP}?)"
    r"(?P<mid>(?:18|19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"|(?:18|19|20)\d\d(?P=s)(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"(?P=s)(?P<tail>\d{3}[\dXx])(?!\d)"
)

# Every pattern above needs at least ten digits (a landline's 3-digit area code and
# 7-digit number is the shortest), so text with fewer has nothing to mask. Checked in C:
# the access line of every request ("GET /path 200 1.2ms") has digits, but rarely ten.
_TEN_DIGITS = re.compile(r"(?:\D*\d){10}")

NAME_STARS = 3


def mask_id_number(value: str) -> str:
    """330106199003071236 → 330106********1236; anything short is starred whole."""
    if len(value) < 10:
        return "*" * min(len(value), 8)
    return value[:6] + "********" + value[-4:]


def mask_phone(value: str) -> str:
    """13800138000 → 138****8000."""
    if len(value) < 7:
        return "*" * min(len(value), 4)
    return value[:3] + "****" + value[-4:]


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the first character, then at most three stars.

    The stars stop at three so that a 60-character name still fits the column of its mask.
    """
    if not value:
        return value
    return value[0] + "*" * min(len(value) - 1, NAME_STARS)


def redact(text: str) -> str:
    """Mask every ID and phone number in free text, however it is written."""
    folded = text.translate(_FOLD)
    if not _TEN_DIGITS.match(folded):
        return text
    spans: list[tuple[int, int, str]] = []
    for match in _ID_NUMBER.finditer(folded):
        spans.append((match.start(), match.end(), match["head"] + "********" + match["tail"][-4:]))
    for match in _MOBILE.finditer(folded):
        prefix = (match["prefix"] or "").strip()
        masked = match["head"] + "****" + match["tail"]
        spans.append((match.start(), match.end(), f"{prefix} {masked}" if prefix else masked))
    for match in _LANDLINE.finditer(folded):
        spans.append((match.start(), match.end(), match["area"] + "****" + match["number"][-4:]))
    return _apply(text, spans)


def _apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace non-overlapping spans, the earliest (then longest) first."""
    out: list[str] = []
    cursor = 0
    for start, end, replacement in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < cursor:
            continue
        out.append(text[cursor:start])
        out.append(replacement)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)

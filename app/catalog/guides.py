"""The item content document (name, audience, theme, online level, guide) checked whole.

Like a case form or a manifest, a guide is refused with every problem named at once
(``ITEM_GUIDE_INVALID``, ``details.problems[{field, problem}]``), so an operator or an agency
fixes a guide in one round. The shape checks need nothing but the document; the checks
against the rest of the platform (themes, e-licence types, registered fee items, the item's
case form) read what they need and are passed in as :class:`References`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from app.catalog.channels import CAPABILITIES
from app.errors import ItemGuideInvalid

AUDIENCES = ("personal", "legal")
MATERIAL_FORMS = ("original", "copy", "electronic")
CONTENT_KEYS = frozenset(
    {"name", "audience", "theme", "online_level", "needs", "keywords", "guide"}
)
GUIDE_KEYS = frozenset(
    {
        "conditions",
        "materials",
        "fees",
        "legal_time_limit_days",
        "promised_time_limit_days",
        "legal_basis",
        "places",
        "visits",
        "online_level",
        "contact",
        "faq",
    }
)
REQUIRED_GUIDE_KEYS = GUIDE_KEYS - {"online_level", "faq"}
MATERIAL_KEYS = frozenset({"name", "required", "copies", "form", "licence_type", "note"})
PLACE_KEYS = ("name", "address", "hours", "phone")
FAQ_KEYS = ("q", "a")
MAX_DAYS = 365
_PHONE = re.compile(r"^[0-9][0-9-]{3,18}[0-9]$")

# Case-form materials of an item ([{"name","required"}]), None when it has no form. The
# cases room owns forms and imports the catalog, so the composition root passes this in.
FormMaterials = Callable[[str], Awaitable[list[dict[str, Any]] | None]]


@dataclass(frozen=True)
class FeeStandard:
    """A registered fee item (执收项目) as a guide may quote it."""

    standard_fen: int | None
    min_fen: int | None
    max_fen: int | None


@dataclass(frozen=True)
class References:
    """What the platform knows that a guide must agree with."""

    themes: frozenset[str]
    licence_types: frozenset[str]
    fee_items: dict[str, FeeStandard]
    form_materials: list[dict[str, Any]] | None = None


@dataclass
class _Problems:
    found: list[dict[str, str]] = field(default_factory=list)

    def add(self, where: str, problem: str) -> None:
        self.found.append({"field": where, "problem": problem})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text_ok(value: Any, longest: int) -> bool:
    return isinstance(value, str) and len(value.strip()) > 0 and len(value) <= longest


def _texts(p: _Problems, where: str, value: Any, low: int, high: int, longest: int) -> None:
    if not isinstance(value, list) or not low <= len(value) <= high:
        p.add(where, f"is a list of {low} to {high} texts")
        return
    for i, text in enumerate(value):
        if not _text_ok(text, longest):
            p.add(f"{where}[{i}]", f"is a text of 1 to {longest} characters")


def _unknown_keys(p: _Problems, where: str, doc: dict, known: frozenset[str] | tuple) -> None:
    for key in sorted(set(doc) - set(known)):
        p.add(f"{where}.{key}" if where else str(key), "is not a known field")


def _days(p: _Problems, where: str, value: Any) -> bool:
    if not (_is_int(value) and 0 <= value <= MAX_DAYS):
        p.add(where, f"is a whole number of working days from 0 to {MAX_DAYS}")
        return False
    return True


def _materials(p: _Problems, value: Any, refs: References) -> list[dict]:
    if not isinstance(value, list) or len(value) > 50:
        p.add("guide.materials", "is a list of at most 50 materials")
        return []
    seen: set[str] = set()
    good: list[dict] = []
    for i, m in enumerate(value):
        where = f"guide.materials[{i}]"
        if not isinstance(m, dict):
            p.add(where, "is an object with name, required, copies and form")
            continue
        _unknown_keys(p, where, m, MATERIAL_KEYS)
        name = m.get("name")
        if not _text_ok(name, 64):
            p.add(f"{where}.name", "is a text of 1 to 64 characters")
        elif name.strip() in seen:
            p.add(f"{where}.name", f"{name.strip()} is listed twice")
        else:
            seen.add(name.strip())
            good.append(m)
        if not isinstance(m.get("required"), bool):
            p.add(f"{where}.required", "is true or false")
        if not (_is_int(m.get("copies")) and 1 <= m["copies"] <= 20):
            p.add(f"{where}.copies", "is a whole number from 1 to 20")
        if m.get("form") not in MATERIAL_FORMS:
            p.add(f"{where}.form", "is original, copy or electronic")
        licence = m.get("licence_type")
        if licence is not None and (
            not isinstance(licence, str) or licence not in refs.licence_types
        ):
            p.add(f"{where}.licence_type", "is not a known e-licence type")
        if "note" in m and not _text_ok(m["note"], 200):
            p.add(f"{where}.note", "is a text of 1 to 200 characters")
    return good


def _fees(p: _Problems, value: Any, refs: References) -> None:
    if not isinstance(value, list) or len(value) > 20:
        p.add("guide.fees", "is [] (free of charge) or a list of at most 20 fee items")
        return
    for i, fee in enumerate(value):
        where = f"guide.fees[{i}]"
        if not isinstance(fee, dict):
            p.add(where, "is an object with item_code, name and standard_fen")
            continue
        _unknown_keys(p, where, fee, ("item_code", "name", "standard_fen", "min_fen", "max_fen"))
        if not _text_ok(fee.get("name"), 128):
            p.add(f"{where}.name", "is a text of 1 to 128 characters")
        registered = (
            refs.fee_items.get(fee.get("item_code"))
            if isinstance(fee.get("item_code"), str)
            else None
        )
        if registered is None:
            p.add(f"{where}.item_code", "is not a registered fee item (执收项目)")
            continue
        quoted = FeeStandard(fee.get("standard_fen"), fee.get("min_fen"), fee.get("max_fen"))
        if quoted != registered:
            p.add(f"{where}.standard_fen", "differs from the registered fee item's standard")


def _places(p: _Problems, value: Any) -> int:
    if not isinstance(value, list) or len(value) > 20:
        p.add("guide.places", "is a list of at most 20 places")
        return 0
    for i, place in enumerate(value):
        where = f"guide.places[{i}]"
        if not isinstance(place, dict):
            p.add(where, "is an object with name, address, hours and phone")
            continue
        _unknown_keys(p, where, place, PLACE_KEYS)
        for key in PLACE_KEYS[:3]:
            if not _text_ok(place.get(key), 200):
                p.add(f"{where}.{key}", "is a text of 1 to 200 characters")
        phone = place.get("phone")
        if not (isinstance(phone, str) and _PHONE.match(phone)):
            p.add(f"{where}.phone", "is a phone number (digits and -, 5 to 20 characters)")
    return len(value)


def _faq(p: _Problems, value: Any) -> None:
    if not isinstance(value, list) or len(value) > 30:
        p.add("guide.faq", "is a list of at most 30 questions")
        return
    for i, qa in enumerate(value):
        if not isinstance(qa, dict):
            p.add(f"guide.faq[{i}]", "is an object with q and a")
            continue
        _unknown_keys(p, f"guide.faq[{i}]", qa, FAQ_KEYS)
        for key in FAQ_KEYS:
            if not _text_ok(qa.get(key), 500):
                p.add(f"guide.faq[{i}].{key}", "is a text of 1 to 500 characters")


def _agreement(p: _Problems, materials: list[dict], form: list[dict[str, Any]] | None) -> None:
    """Every material the case form requires is listed in the guide, and as required."""
    if not form:
        return
    listed = {m["name"].strip(): m for m in materials}
    for wanted in form:
        if not wanted.get("required"):
            continue
        name = str(wanted.get("name", "")).strip()
        material = listed.get(name)
        if material is None:
            p.add("guide.materials", f"the case form requires {name}; the guide does not list it")
        elif material.get("required") is not True:
            p.add("guide.materials", f"the case form requires {name}; the guide marks it optional")


def _guide(p: _Problems, guide: Any, online_level: Any, refs: References) -> None:
    if not isinstance(guide, dict):
        p.add("guide", "is an object (the guide)")
        return
    _unknown_keys(p, "guide", guide, GUIDE_KEYS)
    for key in sorted(REQUIRED_GUIDE_KEYS - set(guide)):
        p.add(f"guide.{key}", "is required")
    if "conditions" in guide:
        _texts(p, "guide.conditions", guide["conditions"], 1, 30, 500)
    if "legal_basis" in guide:
        _texts(p, "guide.legal_basis", guide["legal_basis"], 1, 20, 300)
    materials = _materials(p, guide.get("materials", []), refs)
    if "fees" in guide:
        _fees(p, guide["fees"], refs)
    legal_ok = "legal_time_limit_days" in guide and _days(
        p, "guide.legal_time_limit_days", guide["legal_time_limit_days"]
    )
    promised_ok = "promised_time_limit_days" in guide and _days(
        p, "guide.promised_time_limit_days", guide["promised_time_limit_days"]
    )
    if (
        legal_ok
        and promised_ok
        and (guide["promised_time_limit_days"] > guide["legal_time_limit_days"])
    ):
        p.add("guide.promised_time_limit_days", "is above the legal time limit")
    places = _places(p, guide.get("places", []))
    visits = guide.get("visits")
    visits_ok = _is_int(visits) and visits in (0, 1)
    if "visits" in guide and not visits_ok:
        p.add("guide.visits", "is 0 or 1 (最多跑一次)")
    elif visits_ok and _is_int(online_level):
        if online_level == 5 and visits != 0:
            p.add("guide.visits", "online level 5 (全程网办) means 0 visits")
        if online_level <= 3 and visits != 1:
            p.add("guide.visits", f"online level {online_level} needs a visit: visits is 1")
        if visits == 1 and places == 0:
            p.add("guide.places", "a visit needs at least one place to go")
    if "online_level" in guide and guide["online_level"] != online_level:
        p.add("guide.online_level", "differs from the item's online level")
    if "contact" in guide and not _text_ok(guide["contact"], 100):
        p.add("guide.contact", "is a text of 1 to 100 characters")
    if "faq" in guide:
        _faq(p, guide["faq"])
    _agreement(p, materials, refs.form_materials)


def check_content(doc: Any, refs: References) -> dict[str, Any]:
    """The content, normalised (the guide carries the item's online level), or
    ITEM_GUIDE_INVALID naming every problem."""
    p = _Problems()
    if not isinstance(doc, dict):
        raise ItemGuideInvalid(problems=[{"field": "", "problem": "is a JSON object"}])
    _unknown_keys(p, "", doc, CONTENT_KEYS)
    if not _text_ok(doc.get("name"), 64):
        p.add("name", "is a text of 1 to 64 characters")
    if doc.get("audience") not in AUDIENCES:
        p.add("audience", "is personal or legal")
    theme = doc.get("theme")
    if not isinstance(theme, str) or theme not in refs.themes:
        p.add("theme", "is not a known theme code")
    level = doc.get("online_level")
    if not (_is_int(level) and 1 <= level <= 5):
        p.add("online_level", "is a whole number from 1 to 5")
    needs = doc.get("needs", [])
    if not isinstance(needs, list) or any(
        not isinstance(n, str) or n not in CAPABILITIES for n in needs
    ):
        p.add("needs", f"is a list of capabilities ({', '.join(CAPABILITIES)})")
    keywords = doc.get("keywords", [])
    if not isinstance(keywords, list) or len(keywords) > 20:
        p.add("keywords", "is a list of at most 20 texts")
    else:
        for i, word in enumerate(keywords):
            if not _text_ok(word, 32):
                p.add(f"keywords[{i}]", "is a text of 1 to 32 characters")
    if "guide" not in doc:
        p.add("guide", "is required")
    else:
        _guide(p, doc["guide"], level, refs)
    if p.found:
        raise ItemGuideInvalid(problems=p.found)
    guide = {**doc["guide"], "online_level": level}
    guide.setdefault("faq", [])
    return {
        "name": doc["name"].strip(),
        "audience": doc["audience"],
        "theme": doc["theme"],
        "online_level": level,
        "needs": sorted(set(needs)),
        "keywords": [k.strip() for k in keywords],
        "guide": guide,
    }


def problems_of(doc: Any, refs: References) -> list[dict[str, str]]:
    """Every problem of a content document, [] when it passes (the agreement report)."""
    try:
        check_content(doc, refs)
    except ItemGuideInvalid as refused:
        return list(refused.details["problems"])
    return []

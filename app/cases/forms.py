"""Application forms defined per item, checked on our side before anything is stored.

A form spec is a list of typed fields::

    {"name": "phone", "label": "联系电话", "type": "phone", "required": true}

Types: text (``max_length``), integer (``min``/``max``), date (YYYY-MM-DD), boolean, choice
(``choices``), phone (mainland mobile) and id_number (GB 11643 check character). Unknown
fields in an application are refused, so nothing unchecked reaches the agency.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from app.errors import CaseFormSpecInvalid, FormInvalid, InvalidIdNumber
from app.identity.id_numbers import normalise_id_number

FIELD_TYPES = ("text", "integer", "date", "boolean", "choice", "phone", "id_number")
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


# Which keys each field type may carry besides the common ones; anything else is a typo.
COMMON_KEYS = frozenset({"name", "label", "type", "required", "hint"})
TYPE_KEYS: dict[str, frozenset[str]] = {
    "text": frozenset({"max_length"}),
    "integer": frozenset({"min", "max"}),
    "choice": frozenset({"choices"}),
}
MATERIAL_KEYS = frozenset({"name", "required", "hint"})
MAX_FIELDS = 50
MAX_MATERIALS = 20
MAX_CHOICES = 100
MAX_TEXT_LENGTH = 4000
# Integer bounds stay within what every JSON client reads exactly (2**53).
MAX_INTEGER = 2**53
MAX_TIME_LIMIT_DAYS = 365


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, longest: int) -> bool:
    return isinstance(value, str) and value.strip() == value and 0 < len(value) <= longest


def _scalar(value: Any) -> bool:
    if isinstance(value, str):
        return 0 < len(value) <= 64
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_int(value)


def _field_problems(f: dict[str, Any], kind: Any) -> dict[str, str]:
    """Problems of one field's type-specific keys, by key."""
    problems: dict[str, str] = {}
    length = f.get("max_length", 1)
    if kind == "text" and not (_is_int(length) and 1 <= length <= MAX_TEXT_LENGTH):
        problems["max_length"] = f"is a whole number from 1 to {MAX_TEXT_LENGTH}"
    if kind == "integer":
        for key in ("min", "max"):
            if key in f and not (_is_int(f[key]) and abs(f[key]) <= MAX_INTEGER):
                problems[key] = f"is a whole number within ±2^53 (±{MAX_INTEGER})"
        low, high = f.get("min"), f.get("max")
        if not problems and low is not None and high is not None and low > high:
            problems["min"] = "is greater than max"
    if kind == "choice":
        choices = f.get("choices")
        if not isinstance(choices, list) or not 1 <= len(choices) <= MAX_CHOICES:
            problems["choices"] = f"is a list of 1 to {MAX_CHOICES} choices"
        elif not all(_scalar(c) for c in choices):
            problems["choices"] = "holds only texts (1-64 characters) or numbers"
        elif len({(type(c), c) for c in choices}) != len(choices):
            problems["choices"] = "has duplicates"
    return problems


def _fields_problems(fields_spec: Any) -> dict[str, str]:
    if not isinstance(fields_spec, list) or len(fields_spec) > MAX_FIELDS:
        return {"fields": f"is a list of at most {MAX_FIELDS} fields"}
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for i, f in enumerate(fields_spec):
        at = f"fields[{i}]"
        if not isinstance(f, dict):
            problems[at] = "is an object"
            continue
        name, kind = f.get("name"), f.get("type")
        if not isinstance(name, str) or not _NAME.match(name):
            problems[f"{at}.name"] = "is snake_case: a-z, 0-9, _ (starting with a letter, ≤ 32)"
        elif name in seen:
            problems[f"{at}.name"] = f"repeats the field name {name}"
        else:
            seen.add(name)
        if kind not in FIELD_TYPES:
            problems[f"{at}.type"] = f"is one of {', '.join(FIELD_TYPES)}"
            continue
        if not _text(f.get("label"), 64):
            problems[f"{at}.label"] = "is a non-empty text of at most 64 characters"
        if "required" in f and not isinstance(f["required"], bool):
            problems[f"{at}.required"] = "is true or false"
        if "hint" in f and not _text(f["hint"], 200):
            problems[f"{at}.hint"] = "is a non-empty text of at most 200 characters"
        for key in sorted(set(f) - COMMON_KEYS - TYPE_KEYS.get(kind, frozenset())):
            problems[f"{at}.{key}"] = f"is not a key of a {kind} field"
        for key, problem in _field_problems(f, kind).items():
            problems[f"{at}.{key}"] = problem
    return problems


def _materials_problems(materials_spec: Any, attachments_limit: int | None) -> dict[str, str]:
    if not isinstance(materials_spec, list) or len(materials_spec) > MAX_MATERIALS:
        return {"materials": f"is a list of at most {MAX_MATERIALS} materials"}
    problems: dict[str, str] = {}
    seen: set[str] = set()
    required = 0
    for i, m in enumerate(materials_spec):
        at = f"materials[{i}]"
        if not isinstance(m, dict):
            problems[at] = "is an object"
            continue
        name = m.get("name")
        if not _text(name, 64):
            problems[f"{at}.name"] = "is a non-empty text of at most 64 characters"
        elif name in seen:
            problems[f"{at}.name"] = f"repeats the material {name}"
        else:
            seen.add(name)
        if "required" in m and not isinstance(m["required"], bool):
            problems[f"{at}.required"] = "is true or false"
        if "hint" in m and not _text(m["hint"], 200):
            problems[f"{at}.hint"] = "is a non-empty text of at most 200 characters"
        for key in sorted(set(m) - MATERIAL_KEYS):
            problems[f"{at}.{key}"] = "is not a key of a material"
        required += m.get("required", True) is not False
    if attachments_limit is not None and required > attachments_limit:
        problems["materials"] = (
            f"requires {required} materials but a case carries at most {attachments_limit}"
        )
    return problems


def check_spec(
    fields_spec: Any,
    materials_spec: Any,
    time_limit_days: Any = None,
    *,
    attachments_limit: int | None = None,
) -> None:
    """Refuse a malformed form definition when it is defined, not when a resident meets it.

    Every problem is named at once (``fields[2].choices``: why), so an operator fixes the
    definition in one round; CASE_FORM_SPEC_INVALID changes nothing.
    """
    problems = {
        **_fields_problems(fields_spec),
        **_materials_problems(materials_spec, attachments_limit),
    }
    if time_limit_days is not None and not (
        _is_int(time_limit_days) and 1 <= time_limit_days <= MAX_TIME_LIMIT_DAYS
    ):
        problems["time_limit_days"] = (
            f"is a whole number of working days, 1 to {MAX_TIME_LIMIT_DAYS}"
        )
    if problems:
        raise CaseFormSpecInvalid(
            "The form definition has problems: " + ", ".join(sorted(problems)) + ".",
            problems=problems,
        )


def _check_value(spec: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    kind = spec["type"]
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            return None, "must be non-empty text"
        if len(value) > int(spec.get("max_length", 500)):
            return None, f"must be at most {spec.get('max_length', 500)} characters"
        return value.strip(), None
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, "must be a whole number"
        if ("min" in spec and value < spec["min"]) or ("max" in spec and value > spec["max"]):
            return None, f"must be between {spec.get('min')} and {spec.get('max')}"
        return value, None
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat(), None
        except (TypeError, ValueError):
            return None, "must be a date (YYYY-MM-DD)"
    if kind == "boolean":
        return (value, None) if isinstance(value, bool) else (None, "must be true or false")
    if kind == "choice":
        # Typed match: true is not the choice 1, and "1" is not 1.
        chosen = any(type(c) is type(value) and c == value for c in spec["choices"])
        return (value, None) if chosen else (None, "is not one of the choices")
    if kind == "phone":
        ok = isinstance(value, str) and _PHONE.match(value)
        return (value, None) if ok else (None, "must be an 11-digit mobile number")
    try:
        return normalise_id_number(value if isinstance(value, str) else ""), None
    except InvalidIdNumber:
        return None, "is not a valid ID number"


def check_form(fields_spec: list[dict[str, Any]], form: dict[str, Any]) -> dict[str, Any]:
    """The cleaned form, or FormInvalid naming every field that is wrong."""
    problems: dict[str, str] = {}
    known = {f["name"]: f for f in fields_spec}
    for name in form:
        if name not in known:
            problems[name] = "is not a field of this form"
    cleaned: dict[str, Any] = {}
    for name, spec in known.items():
        value = form.get(name)
        if value is None or value == "":
            if spec.get("required", True):
                problems[name] = "is required"
            continue
        good, problem = _check_value(spec, value)
        if problem:
            problems[name] = problem
        else:
            cleaned[name] = good
    if problems:
        raise FormInvalid(
            "The form has problems: " + ", ".join(sorted(problems)) + ".", fields=problems
        )
    return cleaned


DOCUMENT_KEYS = frozenset({"fields", "materials", "time_limit_days"})


def spec_document(doc: Any, extra: frozenset[str] = frozenset()) -> tuple[Any, Any, Any]:
    """(fields, materials, time_limit_days) of a form document, as the operator API and
    ``yiwang cases define-form --file`` take it; unknown keys are refused, not ignored."""
    if not isinstance(doc, dict):
        raise CaseFormSpecInvalid(problems={"body": "is an object"})
    unknown = sorted(set(doc) - DOCUMENT_KEYS - extra)
    missing = sorted({"fields", "materials"} - set(doc))
    if unknown or missing:
        problems = {k: "is not a key of a form definition" for k in unknown}
        problems.update({k: "is required" for k in missing})
        raise CaseFormSpecInvalid(
            "The form definition has problems: " + ", ".join(sorted(problems)) + ".",
            problems=problems,
        )
    return doc["fields"], doc["materials"], doc.get("time_limit_days")

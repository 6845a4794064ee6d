"""Application forms defined per item, checked on our side before anything is stored.

A form spec is a list of typed fields::

    {"name": "phone", "label": "联系电话", "type": "phone", "required": true}

Types: text (``max_length``), integer (``min``/``max``), date (YYYY-MM-DD), boolean, choice
(``choices``), phone (mainland mobile) and id_number (GB 11643 check character). Unknown
fields in an application are refused, so nothing unchecked reaches the agency.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.errors import FormInvalid, InvalidIdNumber, InvalidInput
from app.identity.id_numbers import normalise_id_number

FIELD_TYPES = ("text", "integer", "date", "boolean", "choice", "phone", "id_number")
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def check_spec(fields_spec: list[dict[str, Any]], materials_spec: list[dict[str, Any]]) -> None:
    """Refuse a malformed form definition when it is defined, not when a resident meets it."""
    seen: set[str] = set()
    for f in fields_spec:
        name, kind = f.get("name"), f.get("type")
        if not isinstance(name, str) or not _NAME.match(name) or name in seen:
            raise InvalidInput("Each form field needs a unique snake_case name.", field=name)
        if kind not in FIELD_TYPES:
            raise InvalidInput(f"Field types are {', '.join(FIELD_TYPES)}.", field=name)
        if kind == "choice" and not f.get("choices"):
            raise InvalidInput("A choice field lists its choices.", field=name)
        seen.add(name)
    names = [m.get("name") for m in materials_spec]
    if any(not isinstance(n, str) or not n for n in names) or len(set(names)) != len(names):
        raise InvalidInput("Each material needs a unique name.")


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
        return (value, None) if value in spec["choices"] else (None, "is not one of the choices")
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

"""Open311 service definitions: the typed attributes a category asks, and the answers a
request gives to them.

A definition is a list of GeoReport v2 attributes::

    {"code": "LAMP_NO", "datatype": "string", "description": "灯杆编号", "required": true,
     "datatype_description": "杆身铭牌上的编号", "order": 1}

Datatypes are GeoReport's: string (one line), number, datetime, text (several lines),
singlevaluelist and multivaluelist (with ``values`` [{key, name}]). ``variable: false``
marks an attribute that only informs the requester and takes no answer.

Like case forms, a definition is checked whole when an operator defines it, with every
problem named at once and unknown keys refused, so a client never meets a definition it
cannot render; and a request's answers are checked against it before anything is stored.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from app.errors import AttributesInvalid, ServiceDefinitionInvalid
from infra import clock

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LISTS = ("singlevaluelist", "multivaluelist")
KEYS = frozenset(
    {"code", "datatype", "description", "variable", "required", "datatype_description",
     "order", "values"}
)  # fmt: skip
VALUE_KEYS = frozenset({"key", "name"})
MAX_ATTRIBUTES = 30
MAX_VALUES = 100
MAX_ORDER = 999
# What one answer may hold: a line, a text as long as a request's description, a number
# every JSON client reads exactly (2**53).
STRING_MAX = 500
TEXT_MAX = 4000
NUMBER_MAX = 2**53
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _text(value: Any, longest: int) -> bool:
    return isinstance(value, str) and value.strip() == value and 0 < len(value) <= longest


def _values_problems(values: Any) -> str | None:
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_VALUES:
        return f"is a list of 1 to {MAX_VALUES} values"
    keys: set[str] = set()
    for v in values:
        if not isinstance(v, dict) or set(v) != VALUE_KEYS:
            return "holds objects with exactly a key and a name"
        if not (_text(v["key"], 64) and _text(v["name"], 64)):
            return "holds keys and names of 1 to 64 characters"
        if v["key"] in keys:
            return f"repeats the key {v['key']}"
        keys.add(v["key"])
    return None


def _attribute_problems(a: dict[str, Any]) -> dict[str, str]:
    """Problems of one attribute, by key (its code and order are checked by the caller)."""
    problems: dict[str, str] = {}
    kind = a.get("datatype")
    if kind not in DATATYPES:
        problems["datatype"] = f"is one of {', '.join(DATATYPES)}"
    if not _text(a.get("description"), 200):
        problems["description"] = "is a non-empty text of at most 200 characters"
    for flag in ("variable", "required"):
        if flag in a and not isinstance(a[flag], bool):
            problems[flag] = "is true or false"
    if a.get("required") is True and a.get("variable") is False:
        problems["required"] = "cannot be true for an attribute that takes no answer"
    if a.get("datatype_description") is not None and not _text(a["datatype_description"], 200):
        problems["datatype_description"] = "is a non-empty text of at most 200 characters"
    if kind in LISTS:
        problem = _values_problems(a.get("values"))
        if problem:
            problems["values"] = problem
    elif "values" in a and kind in DATATYPES:
        problems["values"] = "belongs only to singlevaluelist and multivaluelist"
    for key in sorted(set(a) - KEYS):
        problems[key] = "is not a key of an attribute"
    return problems


def _normalised(a: dict[str, Any], position: int) -> dict[str, Any]:
    """The attribute as GeoReport shows it, every member present, in the spec's order."""
    return {
        "variable": a.get("variable", True),
        "code": a["code"],
        "datatype": a["datatype"],
        "required": a.get("required", False),
        "datatype_description": a.get("datatype_description"),
        "order": a.get("order", position + 1),
        "description": a["description"],
        "values": list(a.get("values", [])),
    }


def check_definition(spec: Any) -> list[dict[str, Any]]:
    """The definition, normalised and sorted by ``order``; or SERVICE_DEFINITION_INVALID
    naming every problem (``attributes[2].values``: why)."""
    if not isinstance(spec, list) or len(spec) > MAX_ATTRIBUTES:
        raise ServiceDefinitionInvalid(
            problems={"attributes": f"is a list of at most {MAX_ATTRIBUTES} attributes"}
        )
    problems: dict[str, str] = {}
    codes: set[str] = set()
    orders: set[int] = set()
    for i, a in enumerate(spec):
        at = f"attributes[{i}]"
        if not isinstance(a, dict):
            problems[at] = "is an object"
            continue
        code, order = a.get("code"), a.get("order", i + 1)
        if not isinstance(code, str) or not _CODE.match(code):
            problems[f"{at}.code"] = "is 1 to 32 letters, digits, _ or -"
        elif code in codes:
            problems[f"{at}.code"] = f"repeats the code {code}"
        else:
            codes.add(code)
        if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
            problems[f"{at}.order"] = f"is a whole number from 1 to {MAX_ORDER}"
        elif order in orders:
            problems[f"{at}.order"] = f"repeats the order {order}"
        else:
            orders.add(order)
        problems.update({f"{at}.{k}": p for k, p in _attribute_problems(a).items()})
    if problems:
        raise ServiceDefinitionInvalid(
            "The service definition has problems: " + ", ".join(sorted(problems)) + ".",
            problems=problems,
        )
    return sorted((_normalised(a, i) for i, a in enumerate(spec)), key=lambda a: a["order"])


# ---------------------------------------------------------------------------- answers


def _number(raw: Any) -> int | float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        if len(raw) > 40 or not _NUMBER.match(raw.strip()):
            return None
        raw = float(raw.strip())
    if not isinstance(raw, int | float) or not math.isfinite(raw) or abs(raw) > NUMBER_MAX:
        return None
    return int(raw) if float(raw).is_integer() else float(raw)


def _datetime(raw: Any) -> str | None:
    """A W3C date-time; one without a zone is Shanghai time (how residents read clocks)."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    try:
        at = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=clock.SHANGHAI)
    return at.astimezone(clock.SHANGHAI).isoformat(timespec="seconds")


def _one(a: dict[str, Any], raw: Any) -> tuple[Any, str | None]:
    kind = a["datatype"]
    if kind == "number":
        value = _number(raw)
        return (value, None) if value is not None else (None, "is not a number")
    if kind == "datetime":
        at = _datetime(raw)
        return (at, None) if at else (None, "is not a date-time (e.g. 2026-05-01T08:30:00+08:00)")
    if kind in LISTS:
        keys = [v["key"] for v in a["values"]]
        key = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
        return (key, None) if key in keys else (None, f"is not one of {', '.join(keys)}")
    longest = TEXT_MAX if kind == "text" else STRING_MAX
    if not isinstance(raw, str):
        return None, "is not text"
    if not raw.strip():
        return None, "is empty"
    if len(raw) > longest or "\x00" in raw or (kind == "string" and ("\n" in raw or "\r" in raw)):
        lines = "text" if kind == "text" else "one line"
        return None, f"is {lines} of at most {longest} characters"
    return raw.strip(), None


def _answer(a: dict[str, Any], given: list[Any]) -> tuple[Any, str | None]:
    if a["datatype"] != "multivaluelist":
        if len(given) != 1:
            return None, "takes one value"
        return _one(a, given[0])
    chosen: list[Any] = []
    for raw in given:
        value, problem = _one(a, raw)
        if problem:
            return None, problem
        if value in chosen:
            return None, f"repeats {value}"
        chosen.append(value)
    return chosen, None


def _stored(a: dict[str, Any], value: Any) -> dict[str, Any]:
    """An answer kept with the question as it was asked, and for lists the names chosen."""
    answer = {"code": a["code"], "description": a["description"], "datatype": a["datatype"]}
    if a["datatype"] in LISTS:
        names = {v["key"]: v["name"] for v in a["values"]}
        chosen = value if isinstance(value, list) else [value]
        answer["names"] = [names[k] for k in chosen]
    return {**answer, "value": value}


def given_answers(mapping: dict[str, Any]) -> dict[str, list[Any]]:
    """Answers as a JSON object carries them (a value, or a list for a multivaluelist), in
    the shape form fields give them: every value of each code in a list."""
    return {str(code): v if isinstance(v, list) else [v] for code, v in mapping.items()}


def check_answers(definition: list[dict[str, Any]], given: dict[str, list[Any]]) -> list[dict]:
    """The answers to keep with the ticket, in the definition's order; or
    OPEN311_ATTRIBUTES_INVALID naming every ``attribute[CODE]`` that is wrong."""
    by_code = {a["code"]: a for a in definition}
    problems: dict[str, str] = {}
    if len(given) > MAX_ATTRIBUTES:
        problems["attribute"] = f"answers at most {MAX_ATTRIBUTES} attributes"
        given = {}
    for code in given:
        if code not in by_code:
            problems[f"attribute[{code[:32]}]"] = "is not an attribute of this service"
    answers: list[dict[str, Any]] = []
    for a in definition:
        raw = [v for v in given.get(a["code"], []) if v not in (None, "")]
        name = f"attribute[{a['code']}]"
        if not raw:
            if a["required"]:
                problems[name] = "is required"
            continue
        if not a["variable"]:
            problems[name] = "takes no answer: it only informs"
            continue
        if len(raw) > MAX_VALUES:
            problems[name] = f"takes at most {MAX_VALUES} values"
            continue
        value, problem = _answer(a, raw)
        if problem:
            problems[name] = problem
        else:
            answers.append(_stored(a, value))
    if problems:
        raise AttributesInvalid(
            "Some attributes do not fit the service definition: "
            + ", ".join(sorted(problems))
            + ".",
            problems=problems,
        )
    return answers

"""The GeoReport v2 rules our Open311 answers are held to, written from the Open311
community's JSON Schemas (github.com/open311/schema-validation, schema/georeport-v2:
service, services, service-definition, request, requests; the swagger's RequestResponse),
the Service Discovery spec and the GeoReport v2 spec's XML examples. Nothing is vendored:
each table below restates a schema's rules (required members, types, nullability, enums,
formats, maxLength) as data, and ``violations`` applies them.

A kind is ``string``, ``boolean``, ``integer``, ``number``, ``date-time``, ``uri``,
``text4000`` (a string of at most 4000 characters) or ``enum:a|b``; a trailing ``?``
allows null (the schemas' ``anyOf [..., null]``). Members outside a table are violations
too: GeoReport clients should meet nothing the spec does not name.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, fromstring

Rules = dict[str, tuple[bool, str]]  # member: (required, kind)

SERVICE: Rules = {
    "service_code": (True, "string"),
    "service_name": (True, "string"),
    "description": (False, "string?"),
    "metadata": (True, "boolean"),
    "type": (True, "enum:realtime|batch|blackbox"),
    "keywords": (False, "string?"),
    "group": (False, "string?"),
}
DEFINITION: Rules = {"service_code": (True, "string"), "attributes": (True, "list")}
ATTRIBUTE: Rules = {
    "variable": (True, "boolean"),
    "code": (True, "string"),
    "datatype": (True, "enum:string|number|datetime|text|singlevaluelist|multivaluelist"),
    "required": (True, "boolean"),
    "datatype_description": (False, "string?"),
    "order": (False, "integer?"),
    "description": (False, "string?"),
    "values": (False, "list"),
}
VALUE: Rules = {"key": (True, "string"), "name": (True, "string")}
REQUEST: Rules = {
    "service_request_id": (True, "string"),
    "status": (True, "enum:open|closed"),
    "status_notes": (False, "string?"),
    "service_name": (False, "string?"),
    "service_code": (True, "string"),
    "description": (False, "text4000?"),
    "agency_responsible": (False, "string?"),
    "service_notice": (False, "string?"),
    "requested_datetime": (True, "date-time"),
    "updated_datetime": (False, "date-time?"),
    "expected_datetime": (False, "date-time?"),
    "address": (False, "string?"),
    "address_id": (False, "string?"),
    "zipcode": (False, "string?"),
    "lat": (False, "number?"),
    "long": (False, "number?"),
    "media_url": (False, "uri?"),
}
# The swagger's RequestResponse (its example answers account_id null).
CREATED: Rules = {
    "service_request_id": (True, "string"),
    "token": (False, "string"),
    "service_notice": (False, "string?"),
    "account_id": (False, "string?"),
}
ERROR: Rules = {"code": (True, "integer"), "description": (True, "string")}
DISCOVERY: Rules = {
    "changeset": (True, "date-time"),
    "contact": (True, "string"),
    "key_service": (True, "string"),
    "endpoints": (True, "list"),
}
ENDPOINT: Rules = {
    "specification": (True, "uri"),
    "url": (True, "uri"),
    "changeset": (True, "date-time"),
    "type": (True, "enum:production|test"),
    "formats": (True, "list"),
}
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _fits(value: Any, kind: str) -> bool:
    if value is None:
        return kind.endswith("?")
    base = kind.rstrip("?")
    if base.startswith("enum:"):
        return value in base[5:].split("|")
    checks = {
        "string": lambda v: isinstance(v, str),
        "text4000": lambda v: isinstance(v, str) and len(v) <= 4000,
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "date-time": lambda v: isinstance(v, str) and bool(_DATE_TIME.match(v)),
        "uri": lambda v: isinstance(v, str) and bool(urlsplit(v).scheme and urlsplit(v).netloc),
        "list": lambda v: isinstance(v, list),
    }
    return checks[base](value)


def violations(doc: Any, rules: Rules, where: str) -> list[str]:
    if not isinstance(doc, dict):
        return [f"{where} is not an object"]
    found = [f"{where}.{k} is not a member GeoReport names" for k in doc if k not in rules]
    for member, (required, kind) in rules.items():
        if member not in doc:
            if required:
                found.append(f"{where}.{member} is required")
        elif not _fits(doc[member], kind):
            found.append(f"{where}.{member} is not {kind}: {doc[member]!r}")
    return found


def _each(docs: Any, rules: Rules, where: str) -> list[str]:
    if not isinstance(docs, list):
        return [f"{where} is not a list"]
    return [p for i, d in enumerate(docs) for p in violations(d, rules, f"{where}[{i}]")]


def services(doc: Any) -> list[str]:
    return _each(doc, SERVICE, "services")


def definition(doc: Any) -> list[str]:
    found = violations(doc, DEFINITION, "definition")
    for i, a in enumerate(doc.get("attributes") or [] if isinstance(doc, dict) else []):
        found += violations(a, ATTRIBUTE, f"attributes[{i}]")
        if isinstance(a, dict):
            found += _each(a.get("values", []), VALUE, f"attributes[{i}].values")
    return found


def requests(doc: Any) -> list[str]:
    return _each(doc, REQUEST, "requests")


def created(doc: Any) -> list[str]:
    return _each(doc, CREATED, "created")


def errors(doc: Any, status: int) -> list[str]:
    found = _each(doc, ERROR, "errors") or ([] if doc else ["errors is empty"])
    found += [f"errors[{i}].code is not {status}" for i, e in enumerate(doc) if e["code"] != status]
    return found


def discovery(doc: Any) -> list[str]:
    found = violations(doc, DISCOVERY, "discovery")
    for i, e in enumerate(doc.get("endpoints") or [] if isinstance(doc, dict) else []):
        found += violations(e, ENDPOINT, f"endpoints[{i}]")
        if isinstance(e, dict) and not all(
            f in ("text/xml", "application/json") for f in e.get("formats", [])
        ):
            found.append(f"endpoints[{i}].formats names a format GeoReport does not")
    return found


# ---------------------------------------------------------------------------- XML

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
# The spec's XML examples: each document's root, and what each list's items are called.
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _read(element: Element) -> Any:
    """An element as the JSON it stands for, every leaf as text (None when empty)."""
    if element.tag in ITEMS:
        wrong = [c.tag for c in element if c.tag != ITEMS[element.tag]]
        if wrong:
            raise AssertionError(f"<{element.tag}> holds {wrong}, not <{ITEMS[element.tag]}>")
        return [_read(c) for c in element]
    if len(element):
        tags = [c.tag for c in element]
        if len(set(tags)) != len(tags):
            raise AssertionError(f"<{element.tag}> repeats a member: {tags}")
        return {c.tag: _read(c) for c in element}
    return element.text


def read_xml(body: bytes, root: str) -> Any:
    """The document's content, once its declaration and root are what the spec shows."""
    assert body.startswith(DECLARATION), body[:60]
    element = fromstring(body)
    assert element.tag == root, (element.tag, root)
    return _read(element)


def as_text(doc: Any) -> Any:
    """JSON as its XML reads: numbers and booleans as text; null and "" (which XML cannot
    tell apart) as None."""
    if isinstance(doc, list):
        return [as_text(d) for d in doc]
    if isinstance(doc, dict):
        return {k: as_text(v) for k, v in doc.items()}
    if isinstance(doc, bool):
        return "true" if doc else "false"
    return None if doc is None or doc == "" else str(doc)

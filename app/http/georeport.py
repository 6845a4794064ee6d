"""GeoReport v2 on the wire: each answer in JSON or XML, chosen by the path's ``.json`` or
``.xml`` as the spec asks, and errors as GeoReport's list of ``{code, description}`` on
every path under ``/open311/`` (unknown routes and methods included: ``errors.py`` sends
them here).

XML follows the spec's examples: a root element named for the document (``services``,
``service_requests``, ``service_definition``, ``discovery``, ``errors``), one element per
member, list items named for what they hold (``service``, ``request``, ``attribute``,
``value``, ``endpoint``, ``format``, ``error``), null as an empty element, booleans as
``true``/``false``, preceded by the UTF-8 declaration. Characters XML 1.0 cannot carry
(control characters a client may have typed into a description) are left out, so the
document always parses.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, tostring

from sanic import Request
from sanic.response import HTTPResponse, json, raw

from app.errors import AttributesInvalid, DomainError
from payments.errors import PaymentError

PREFIX = "/open311/"
# GeoReport's error code is the HTTP status; our stable code rides in this header instead.
CODE_HEADER = "X-Error-Code"
XML_TYPE = "text/xml; charset=utf-8"
FORMATS = ("text/xml", "application/json")
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def speaks_georeport(request: Request) -> bool:
    return request.path.startswith(PREFIX)


def wants_xml(request: Request) -> bool:
    return request.path.endswith(".xml")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(tag: str, value: Any) -> Element:
    element = Element(tag)
    if isinstance(value, dict):
        for key, member in value.items():
            element.append(_element(key, member))
    elif isinstance(value, list):
        for item in value:
            element.append(_element(ITEMS[tag], item))
    else:
        element.text = _text(value)
    return element


def to_xml(root: str, value: Any) -> bytes:
    return (_DECLARATION + tostring(_element(root, value), encoding="unicode")).encode()


def answer(
    request: Request,
    root: str,
    value: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    """``value`` as JSON, or as XML under ``root`` when the path asks for .xml."""
    if wants_xml(request):
        return raw(to_xml(root, value), status=status, content_type=XML_TYPE, headers=headers)
    return json(value, status=status, ensure_ascii=False, headers=headers)


def error_answer(
    request: Request,
    status: int,
    descriptions: list[str],
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    errors = [{"code": status, "description": d} for d in descriptions]
    return answer(request, "errors", errors, status, headers)


def domain_error(
    request: Request,
    error: DomainError | PaymentError,
    status: int,
    headers: dict[str, str] | None,
) -> HTTPResponse:
    """Our refusal in GeoReport's shape: one error per problem named. Missing or malformed
    fields (our 422) are GeoReport's 400; answers that do not fit a service definition come
    from a well-formed request and stay 422. Other statuses (413 for a body too large) stay."""
    if status == 422 and not isinstance(error, AttributesInvalid):
        status = 400
    problems = error.details.get("problems")
    if isinstance(problems, dict) and problems:
        descriptions = [f"{name} {problem}" for name, problem in sorted(problems.items())]
    else:
        descriptions = [error.message]
    return error_answer(request, status, descriptions, {**(headers or {}), CODE_HEADER: error.code})

"""Inputs sized by the columns that keep them: each limit is declared once, on the model.

An id beyond the column's integer type, or a string id longer than its column, used to reach
the database and come back as a 500 (an integer overflow, the ORM's length check). Here:

- Path parameters use route types named after a column (``<booking_id:id>``,
  ``<order_no:order_no>``). A value the column cannot hold does not match the route, so it
  is a 404 ``NOT_FOUND``: no such thing can exist.
- Body and query fields use :func:`integer` and :func:`text`, pydantic types whose bounds
  are read from the Tortoise field, so a refused value is a 422 ``INVALID_INPUT``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field, StrictInt
from sanic import Sanic
from tortoise.models import Model

from app.appointments.models import Slot
from app.bundles.models import BundleCase, BundleDefinition
from app.cases.models import Case, CaseFormVersion
from app.catalog.models import MiniApp, MiniAppVersion, ServiceItem
from app.identity.models import LegalPerson
from app.receipts.models import Receipt
from app.violations.models import Violation
from payments.models import Order


def bounds(model: type[Model], name: str) -> dict[str, Any]:
    """The column's own limits: ``ge``/``le`` of its integer type, or its ``max_length``."""
    field = model._meta.fields_map[name]
    limits = dict(getattr(field, "constraints", {}))
    if getattr(field, "max_length", None):
        limits["max_length"] = field.max_length
    return limits


def integer(model: type[Model], name: str, *, ge: int = 1, strict: bool = True) -> Any:
    """An integer the column can hold, from ``ge`` up.

    Strict for JSON bodies (not ``1e30``, not ``"7"``); ``strict=False`` for query strings,
    where every value arrives as text.
    """
    return Annotated[StrictInt if strict else int, Field(ge=ge, le=bounds(model, name)["le"])]


def text(model: type[Model], name: str, *, min_length: int = 1) -> Any:
    return Annotated[
        str, Field(min_length=min_length, max_length=bounds(model, name)["max_length"])
    ]


# Route type -> the column its values are looked up in.
PATH_TYPES: dict[str, tuple[type[Model], str]] = {
    "id": (Slot, "id"),  # every numeric id is a BIGINT primary key
    "version": (MiniAppVersion, "number"),
    "form_version": (CaseFormVersion, "version"),
    "order_no": (Order, "order_no"),
    "case_no": (Case, "case_no"),
    "item_code": (ServiceItem, "code"),
    "miniapp_id": (MiniApp, "id"),
    "uscc": (LegalPerson, "uscc"),
    "receipt_no": (Receipt, "receipt_no"),
    "decision_no": (Violation, "decision_no"),
    "bundle_no": (BundleCase, "bundle_no"),
    "bundle_code": (BundleDefinition, "code"),
}


def _int_cast(label: str, ceiling: int) -> Callable[[str], int]:
    def cast(raw: str) -> int:
        value = int(raw)
        if not 0 < value <= ceiling:
            raise ValueError(f"{label} out of range")
        return value

    # Sanic's generated router calls casts by their function name.
    cast.__name__ = f"column_{label}"
    return cast


def _text_cast(label: str, longest: int) -> Callable[[str], str]:
    def cast(raw: str) -> str:
        if not 0 < len(raw) <= longest:
            raise ValueError(f"{label} too long")
        return raw

    cast.__name__ = f"column_{label}"
    return cast


def install(app: Sanic) -> None:
    """Register the route types; call before any blueprint is added."""
    for label, (model, name) in PATH_TYPES.items():
        limits = bounds(model, name)
        if "max_length" in limits:
            longest = limits["max_length"]
            cast = _text_cast(label, longest)
            pattern = re.compile(rf"^[^/]{{1,{longest}}}$")
        else:
            ceiling = limits["le"]
            cast = _int_cast(label, ceiling)
            pattern = re.compile(rf"^\d{{1,{len(str(ceiling))}}}$")
        app.router.register_pattern(label, cast, pattern)

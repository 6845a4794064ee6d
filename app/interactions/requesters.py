"""The person behind an Open311 client's request: checked, sealed at rest, shown masked.

GeoReport v2 lets a client pass the requester's email, first_name, last_name, phone and
device_id. They are personal data: the whole set is sealed with the PII vault (purpose
``open311_requester``) and only a masked copy is ever shown, to the department's operators.
Public GeoReport views never show them at all.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from app.errors import InvalidInput
from infra.masking import mask_name, mask_phone
from infra.pii import PiiVault

REQUESTER_FIELDS = ("email", "first_name", "last_name", "phone", "device_id")
LIMITS = {"email": 254, "first_name": 64, "last_name": 64, "phone": 32, "device_id": 128}
MEDIA_URL_MAX = 500
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,30}$")
PURPOSE = "open311_requester"


def check_requester(raw: dict[str, Any]) -> dict[str, str]:
    """The given requester fields, trimmed; a malformed one is INVALID_INPUT naming it."""
    found: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name in REQUESTER_FIELDS:
        value = raw.get(name)
        if value in (None, ""):
            continue
        text = str(value).strip()
        if not text or len(text) > LIMITS[name] or not text.isprintable():
            problems[name] = f"is printable text of at most {LIMITS[name]} characters"
        elif name == "email" and not _EMAIL.match(text):
            problems[name] = "is not an email address"
        elif name == "phone" and not _PHONE.match(text):
            problems[name] = "is not a phone number"
        else:
            found[name] = text
    if problems:
        raise InvalidInput(
            "Some requester fields are malformed: " + ", ".join(sorted(problems)) + ".",
            fields=problems,
        )
    return found


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def masked(requester: dict[str, str]) -> dict[str, str]:
    shown: dict[str, str] = {}
    name = requester.get("last_name", "") + requester.get("first_name", "")
    if name:
        shown["name"] = mask_name(name)
    if "email" in requester:
        shown["email"] = mask_email(requester["email"])
    if "phone" in requester:
        shown["phone"] = mask_phone(re.sub(r"\D", "", requester["phone"]))
    return shown


def seal(vault: PiiVault, requester: dict[str, str]) -> dict[str, Any] | None:
    if not requester:
        return None
    return {
        "enc": vault.encrypt(PURPOSE, json.dumps(requester, ensure_ascii=False)),
        "masked": masked(requester),
    }


def unseal(vault: PiiVault, sealed: dict[str, Any] | None) -> dict[str, str] | None:
    if not sealed:
        return None
    return json.loads(vault.decrypt(PURPOSE, sealed["enc"]))  # type: ignore[no-any-return]


def check_media_url(raw: Any) -> str | None:
    """An absolute http(s) URL, kept as given and never fetched (no SSRF from here)."""
    if raw in (None, ""):
        return None
    url = str(raw).strip()
    problem = None
    if len(url) > MEDIA_URL_MAX or not url.isprintable() or " " in url:
        problem = f"is a URL of at most {MEDIA_URL_MAX} characters without spaces"
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problem = "is an absolute http or https URL"
        elif parts.username is not None or parts.password is not None:
            problem = "must not carry a user name or password"
    if problem:
        raise InvalidInput(f"media_url {problem}.", fields={"media_url": problem})
    return url

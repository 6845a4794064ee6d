"""Bundle definitions as data: checked whole, written, reviewed by a second operator,
published, every step audited.

A definition document (YAML in ``app/bundles/data``, JSON over the operator API)::

    code: YJS-330100-XSECS          # the bundle's code
    name: 新生儿出生一件事
    audience: personal              # personal | legal
    lead_department: hz-wjw         # 牵头部门: answers for the whole time limit
    time_limit_days: 10             # working days for the whole bundle
    guide: {conditions: [...], places: [...], fees: 不收费}
    items:
      - item: QR-330100-00201-001
        after: [GG-330100-00200-001]              # predecessors (their case completes first)
        receives: [{from: GG-330100-00200-001, material: 出生医学证明}]  # e-licence stands in
        pledge: {text: 本人承诺……}                 # 告知承诺: may be approved on a signed pledge
    fields:                         # the one form; each field fills item fields (maps)
      - {name: child_name, label: 新生儿姓名, type: text, maps: {QR-330100-00201-001: name}}
    materials:                      # the one set of materials, deduplicated
      - {name: 父母身份证, key: true, maps: {QR-330100-00201-001: 身份证}}

The check names every problem at once: a required item field no bundle field fills, a
field mapped to an item field of another type, a required item material neither mapped nor
received, a cycle in the order (BUNDLE_DEFINITION_INVALID, 422; nothing stored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tortoise.functions import Max
from tortoise.transactions import in_transaction

from app.bundles import states
from app.bundles.models import BundleDefinition
from app.cases.forms import check_spec
from app.cases.models import CaseForm
from app.catalog import audit
from app.catalog.models import Department, ServiceItem
from app.catalog.scope import require_role, sees_department
from app.errors import (
    BundleDefinitionInvalid,
    BundleNotFound,
    BundleWorkflowConflict,
    CaseFormSpecInvalid,
    SelfReview,
)
from app.operators.auth import OperatorPrincipal
from infra import clock
from infra.transitions import move

CODE = re.compile(r"^[A-Z]{2,4}-\d{6}-[A-Z0-9]{2,16}$")
AUDIENCES = ("personal", "legal")
TOP_KEYS = frozenset(
    {
        "code",
        "name",
        "audience",
        "lead_department",
        "time_limit_days",
        "guide",
        "items",
        "fields",
        "materials",
    }
)
ITEM_KEYS = frozenset({"item", "after", "receives", "pledge"})
GUIDE_KEYS = frozenset({"conditions", "places", "fees", "legal_basis", "notes"})
MIN_ONLINE_LEVEL = 3
MAX_ITEMS = 12
MAX_PENDING_DAYS = 60
AUTHORS = ("department_operator",)
REVIEWERS = ("reviewer",)


@dataclass(frozen=True)
class Checked:
    """A definition that passed the whole check, with what the check looked up."""

    document: dict[str, Any]
    items: dict[str, ServiceItem]
    forms: dict[str, CaseForm]


def _text(value: Any, longest: int) -> bool:
    return isinstance(value, str) and value.strip() == value and 0 < len(value) <= longest


def _refuse(problems: dict[str, str]) -> None:
    if problems:
        raise BundleDefinitionInvalid(
            "The bundle definition has problems: " + ", ".join(sorted(problems)) + ".",
            problems=problems,
        )


def find_cycle(after: dict[str, list[str]]) -> list[str]:
    """One cycle of the order as a path (first item repeated last), or [] when none."""
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for nxt in after.get(node, []):
            if cycle := walk(nxt, [*path, node]):
                return cycle
        done.add(node)
        return []

    for start in after:
        if cycle := walk(start, []):
            return cycle
    return []


def _head_problems(doc: dict[str, Any]) -> dict[str, str]:
    problems = {k: "is not a key of a bundle definition" for k in sorted(set(doc) - TOP_KEYS)}
    if not isinstance(doc.get("code"), str) or not CODE.match(doc["code"]):
        problems["code"] = "is like YJS-330100-XSECS (2-4 letters, 6-digit region, 2-16 A-Z0-9)"
    if not _text(doc.get("name"), 64):
        problems["name"] = "is a non-empty text of at most 64 characters"
    if doc.get("audience") not in AUDIENCES:
        problems["audience"] = "is personal or legal"
    limit = doc.get("time_limit_days")
    if not (isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= 365):
        problems["time_limit_days"] = "is a whole number of working days, 1 to 365"
    guide = doc.get("guide", {})
    if not isinstance(guide, dict):
        problems["guide"] = "is an object"
    else:
        for key in sorted(set(guide) - GUIDE_KEYS):
            problems[f"guide.{key}"] = f"is not a key of a guide ({', '.join(sorted(GUIDE_KEYS))})"
        for key in ("conditions", "places", "notes"):
            value = guide.get(key, [])
            if not (isinstance(value, list) and all(_text(v, 200) for v in value)):
                problems[f"guide.{key}"] = "is a list of texts of at most 200 characters"
        for key in ("fees", "legal_basis"):
            if key in guide and not _text(guide[key], 500):
                problems[f"guide.{key}"] = "is a text of at most 500 characters"
    return problems


async def _items_problems(
    doc: dict[str, Any], problems: dict[str, str]
) -> tuple[dict[str, ServiceItem], dict[str, CaseForm], dict[str, dict[str, Any]]]:
    items: dict[str, ServiceItem] = {}
    forms: dict[str, CaseForm] = {}
    entries: dict[str, dict[str, Any]] = {}
    raw = doc.get("items")
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_ITEMS:
        problems["items"] = f"is a list of 2 to {MAX_ITEMS} items"
        return items, forms, entries
    for i, entry in enumerate(raw):
        at = f"items[{i}]"
        if not isinstance(entry, dict):
            problems[at] = "is an object"
            continue
        for key in sorted(set(entry) - ITEM_KEYS):
            problems[f"{at}.{key}"] = "is not a key of a bundle item"
        code = entry.get("item")
        if not isinstance(code, str) or code in entries:
            problems[f"{at}.item"] = "is an item code, once per bundle"
            continue
        entries[code] = entry
        item = await ServiceItem.get_or_none(code=code, status="active")
        form = await CaseForm.get_or_none(item_code=code)
        if item is None or form is None or item.online_level < MIN_ONLINE_LEVEL:
            problems[f"{at}.item"] = f"{code} is not an active item applied for online"
            continue
        if item.audience != doc.get("audience"):
            problems[f"{at}.item"] = f"{code} is for {item.audience} applicants, not this bundle's"
            continue
        items[code], forms[code] = item, form
        pledge = entry.get("pledge")
        if pledge is not None and not (
            isinstance(pledge, dict) and set(pledge) == {"text"} and _text(pledge["text"], 1000)
        ):
            problems[f"{at}.pledge"] = "is {text: the pledge the applicant signs (≤ 1000)}"
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("item"), str):
            continue
        after = entry.get("after", [])
        if not isinstance(after, list) or any(not isinstance(a, str) for a in after):
            problems[f"items[{i}].after"] = "lists other items of this bundle"
            continue
        if any(
            a not in entries or a == entry["item"] for a in after
        ):
            problems[f"items[{i}].after"] = "lists other items of this bundle"
        receives = entry.get("receives", [])
        if not isinstance(receives, list):
            problems[f"items[{i}].receives"] = "is a list"
            continue
        for j, r in enumerate(receives):
            at = f"items[{i}].receives[{j}]"
            form = forms.get(entry["item"])
            if not isinstance(r, dict) or set(r) != {"from", "material"}:
                problems[at] = "is {from: a predecessor item, material: a material of this item}"
            elif not isinstance(after, list) or r["from"] not in after:
                problems[f"{at}.from"] = "is one of this item's predecessors (after)"
            elif form is not None and r["material"] not in _names(form.materials_spec):
                problems[f"{at}.material"] = f"is not a material of {entry['item']}"
    order = {
        code: [a for a in e.get("after", []) if isinstance(a, str)]
        if isinstance(e.get("after", []), list)
        else []
        for code, e in entries.items()
    }
    if cycle := find_cycle(order):
        problems["items.after"] = "has a cycle: " + " → ".join(cycle)
    lead = doc.get("lead_department")
    if not isinstance(lead, str) or not await Department.exists(code=lead):
        problems["lead_department"] = "is a known department"
    elif items and lead not in {i.department_code for i in items.values()}:
        problems["lead_department"] = "is the department of one of the bundle's items"
    return items, forms, entries


def _names(spec: list[dict[str, Any]]) -> list[str]:
    return [m["name"] for m in spec]


def _field_fits(bundle_field: dict[str, Any], item_field: dict[str, Any]) -> str | None:
    """Why a bundle field cannot fill an item field, or None when every value it accepts
    the item's form accepts too."""
    kind = bundle_field.get("type")
    if kind != item_field["type"]:
        return f"is {kind} but the item field is {item_field['type']}"
    if kind == "text" and bundle_field.get("max_length", 500) > item_field.get("max_length", 500):
        return "allows longer text than the item field"
    if kind == "choice" and not all(
        any(type(c) is type(d) and c == d for d in item_field["choices"])
        for c in bundle_field.get("choices", [])
    ):
        return "offers choices the item field does not"
    if kind == "integer":
        low, high = bundle_field.get("min"), bundle_field.get("max")
        if "min" in item_field and (low is None or low < item_field["min"]):
            return "allows numbers below the item field's min"
        if "max" in item_field and (high is None or high > item_field["max"]):
            return "allows numbers above the item field's max"
    return None


def _fields_problems(
    doc: dict[str, Any], forms: dict[str, CaseForm], problems: dict[str, str]
) -> None:
    raw = doc.get("fields")
    if not isinstance(raw, list):
        problems["fields"] = "is a list of fields"
        return
    plain = [{k: v for k, v in f.items() if k != "maps"} if isinstance(f, dict) else f
             for f in raw]  # fmt: skip
    try:
        check_spec(plain, [])
    except CaseFormSpecInvalid as exc:
        problems.update(exc.details.get("problems", {}))
    filled: dict[tuple[str, str], str] = {}
    for i, f in enumerate(raw):
        if not isinstance(f, dict) or any(k.startswith(f"fields[{i}]") for k in problems):
            continue  # a malformed field is named above; its maps are not read
        maps = f.get("maps")
        if not isinstance(maps, dict) or not maps:
            problems[f"fields[{i}].maps"] = "names, per item code, the item field it fills"
            continue
        for code, target in maps.items():
            at = f"fields[{i}].maps.{code}"
            spec = {x["name"]: x for x in forms[code].fields_spec} if code in forms else {}
            if code not in forms:
                problems[at] = "is not an item of this bundle"
            elif not isinstance(target, str) or target not in spec:
                problems[at] = f"{target} is not a field of {code}'s form"
            elif (code, target) in filled:
                problems[at] = f"{code}.{target} is already filled by {filled[(code, target)]}"
            elif why := _field_fits(f, spec[target]):
                problems[at] = why
            elif spec[target].get("required", True) and f.get("required", True) is False:
                problems[f"fields[{i}].required"] = f"must be true: {code}.{target} is required"
            else:
                filled[(code, target)] = str(f.get("name"))
    for code in forms:
        for x in forms[code].fields_spec:
            if x.get("required", True) and (code, x["name"]) not in filled:
                problems[f"items.{code}.fields.{x['name']}"] = (
                    "is required by the item's form and no bundle field fills it"
                )


def _materials_problems(
    doc: dict[str, Any],
    forms: dict[str, CaseForm],
    entries: dict[str, dict[str, Any]],
    problems: dict[str, str],
) -> None:
    raw = doc.get("materials")
    if not isinstance(raw, list) or len(raw) > 20:
        problems["materials"] = "is a list of at most 20 materials"
        return
    covered: set[tuple[str, str]] = set()
    seen: set[str] = set()
    for i, m in enumerate(raw):
        at = f"materials[{i}]"
        if not isinstance(m, dict):
            problems[at] = "is an object"
            continue
        for key in sorted(set(m) - {"name", "required", "key", "pending_days", "hint", "maps"}):
            problems[f"{at}.{key}"] = "is not a key of a bundle material"
        name = m.get("name")
        if not _text(name, 64) or name in seen:
            problems[f"{at}.name"] = "is a text of at most 64 characters, once per bundle"
            continue
        seen.add(name)
        key = m.get("key", True)
        if not isinstance(key, bool):
            problems[f"{at}.key"] = "is true or false (a key material cannot be pending)"
        days = m.get("pending_days")
        if key is False and not (isinstance(days, int) and 1 <= days <= MAX_PENDING_DAYS):
            problems[f"{at}.pending_days"] = (
                f"is the working days (1-{MAX_PENDING_DAYS}) to supply a non-key material later"
            )
        maps = m.get("maps")
        if not isinstance(maps, dict) or not maps:
            problems[f"{at}.maps"] = "names, per item code, the item material it stands for"
            continue
        for code, target in maps.items():
            if code not in forms:
                problems[f"{at}.maps.{code}"] = "is not an item of this bundle"
            elif not isinstance(target, str) or target not in _names(forms[code].materials_spec):
                problems[f"{at}.maps.{code}"] = f"{target} is not a material of {code}"
            elif m.get("required", True):
                covered.add((code, target))
    for code, entry in entries.items():
        for r in entry.get("receives", []) if isinstance(entry.get("receives"), list) else []:
            if isinstance(r, dict) and isinstance(r.get("material"), str):
                covered.add((code, r["material"]))
    for code, form in forms.items():
        for x in form.materials_spec:
            if x.get("required", True) and (code, x["name"]) not in covered:
                problems[f"items.{code}.materials.{x['name']}"] = (
                    "is required by the item and no required bundle material or "
                    "predecessor's e-licence provides it"
                )


async def check_definition(doc: Any) -> Checked:
    """The whole definition checked against the live items and their forms."""
    if not isinstance(doc, dict):
        _refuse({"body": "is a bundle definition object"})
    problems = _head_problems(doc)
    items, forms, entries = await _items_problems(doc, problems)
    _fields_problems(doc, forms, problems)
    _materials_problems(doc, forms, entries, problems)
    _refuse(problems)
    return Checked(document=doc, items=items, forms=forms)


# --------------------------------------------------------------------------- workflow


def definition_view(d: BundleDefinition) -> dict[str, Any]:
    return {
        "code": d.code,
        "version": d.version,
        "name": d.name,
        "audience": d.audience,
        "lead_department": d.lead_department,
        "status": d.status,
        "author": d.author,
        "reviewer": d.reviewer,
        "review_note": d.review_note,
        "created_at": d.created_at.isoformat(),
        "published_at": d.published_at.isoformat() if d.published_at else None,
        "document": d.document,
    }


def _snapshot(d: BundleDefinition) -> dict[str, Any]:
    return {"code": d.code, "version": d.version, "status": d.status}


async def create_definition(actor: OperatorPrincipal | None, doc: Any) -> BundleDefinition:
    """A new draft version (the first one creates the bundle). ``actor`` None: seeding."""
    if actor is not None:
        require_role(actor, *AUTHORS)
    checked = await check_definition(doc)
    document = checked.document
    if actor is not None and not sees_department(actor, document["lead_department"]):
        raise BundleDefinitionInvalid(problems={"lead_department": "is one of your departments"})
    now = clock.now()
    async with in_transaction() as tx:
        last = (
            await BundleDefinition.filter(code=document["code"])
            .using_db(tx)
            .annotate(n=Max("version"))
            .values_list("n", flat=True)
        )
        definition = await BundleDefinition.create(
            code=document["code"],
            version=(last[0] or 0) + 1 if last else 1,
            name=document["name"],
            audience=document["audience"],
            lead_department=document["lead_department"],
            document=document,
            status=states.DRAFT,
            author=actor.username if actor else "system",
            created_at=now,
            updated_at=now,
            using_db=tx,
        )
        await audit.record(
            actor,
            "create_bundle",
            "bundle",
            f"{definition.code}@{definition.version}",
            department=definition.lead_department,
            using=tx,
            after=_snapshot(definition),
        )
    return definition


async def _latest(code: str, status: str, author: OperatorPrincipal | None) -> BundleDefinition:
    """The newest version in ``status``. An author outside the lead department is told the
    bundle does not exist, exactly as for an unknown code."""
    if author is not None:
        require_role(author, *AUTHORS)
    newest = await BundleDefinition.filter(code=code).order_by("-version").first()
    hidden = (
        author is not None
        and newest is not None
        and not sees_department(author, newest.lead_department)
    )
    if newest is None or hidden:
        raise BundleNotFound(code=code)
    found = await BundleDefinition.filter(code=code, status=status).order_by("-version").first()
    if found is None:
        raise BundleWorkflowConflict(f"Bundle {code} has no {status} version.", code=code)
    return found


async def _step(
    actor: OperatorPrincipal | None,
    definition: BundleDefinition,
    dst: str,
    action: str,
    **changes: Any,
) -> BundleDefinition:
    before = _snapshot(definition)
    now = clock.now()
    async with in_transaction() as tx:
        if dst == states.PUBLISHED:
            current = await BundleDefinition.filter(
                code=definition.code, status=states.PUBLISHED
            ).using_db(tx)
            for old in current:
                if not await move(old, states.SUPERSEDED, using=tx, updated_at=now):
                    raise BundleWorkflowConflict("Someone else published meanwhile; reload.")
            changes["published_at"] = now
        if not await move(definition, dst, using=tx, updated_at=now, **changes):
            raise BundleWorkflowConflict("Someone else changed this version first; reload.")
        await audit.record(
            actor,
            action,
            "bundle",
            f"{definition.code}@{definition.version}",
            department=definition.lead_department,
            using=tx,
            before=before,
            after=_snapshot(definition),
            reason=changes.get("review_note"),
        )
    return definition


async def submit(actor: OperatorPrincipal | None, code: str) -> BundleDefinition:
    definition = await _latest(code, states.DRAFT, actor)
    return await _step(actor, definition, states.SUBMITTED, "submit_bundle")


async def review(
    actor: OperatorPrincipal | None, code: str, decision: str, note: str | None
) -> BundleDefinition:
    """By a reviewer other than the author (a seeding system reviews its own data)."""
    definition = await _latest(code, states.SUBMITTED, None)
    if actor is not None:
        require_role(actor, *REVIEWERS)
        if actor.username == definition.author:
            raise SelfReview("A reviewer may not review a bundle they wrote.")
    dst = states.APPROVED if decision == "approve" else states.REJECTED
    return await _step(
        actor,
        definition,
        dst,
        f"review_bundle_{decision}",
        reviewer=actor.username if actor else "system",
        review_note=note,
    )


async def publish(actor: OperatorPrincipal | None, code: str) -> BundleDefinition:
    """The approved version serves from now on; the items must still be applicable."""
    definition = await _latest(code, states.APPROVED, actor)
    await check_definition(definition.document)
    return await _step(actor, definition, states.PUBLISHED, "publish_bundle")


async def versions(code: str) -> list[BundleDefinition]:
    found = await BundleDefinition.filter(code=code).order_by("-version")
    if not found:
        raise BundleNotFound(code=code)
    return found


async def published(code: str) -> BundleDefinition:
    found = await BundleDefinition.get_or_none(code=code, status=states.PUBLISHED)
    if found is None:
        raise BundleNotFound(code=code)
    return found


async def all_published() -> list[BundleDefinition]:
    return await BundleDefinition.filter(status=states.PUBLISHED).order_by("code")

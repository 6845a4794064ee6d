"""Applying once for a bundle, following it, supplementing it once, rating it once.

A bundle case is a row of its own plus one normal case (cases room) per item, each routed
to its department's desk. Items that wait for a predecessor keep their checked form until
the predecessor's case completes; the case room's ``case.finished`` event (outbox) starts
them, with the predecessor's e-licence standing in for the material it replaces.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.bundles import states
from app.bundles.definitions import published
from app.bundles.models import BundleCase, BundleDefinition, BundleItem
from app.cases import states as case_states
from app.cases.forms import check_form
from app.cases.materials import owned_licence, owned_material
from app.cases.models import Case, CaseForm, ELicence
from app.cases.service import Cases, case_number
from app.cases.setup import form_version
from app.catalog.models import ServiceItem
from app.config import ServiceRules
from app.errors import (
    BundleCaseNotFound,
    BundleMaterialPending,
    BundleRequestReused,
    BundleSupplementUnneeded,
    FormInvalid,
    ItemNotApplicable,
    LegalPersonDeregistered,
    LegalPersonRequired,
    NotVerified,
    OnBehalfNotAllowed,
)
from app.identity.legal import states as legal_states
from app.identity.legal.standing import may_act_for, standing
from app.identity.models import Citizen, LegalPerson
from app.identity.sessions import Principal
from app.supervision.deadlines import meet_deadline, open_deadline
from infra import clock
from infra.national import sm3
from infra.pii import PiiVault
from infra.transitions import move

SUBJECT = "bundle"
WHOLE = "whole"  # the deadline step of the bundle's whole time limit


def supply_step(position: int) -> str:
    """The deadline step of an item's materials accepted as pending (容缺)."""
    return f"supply-{position}"


def request_digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


@dataclass(frozen=True)
class Prepared:
    """One item of an application, checked, before anything is written."""

    entry: dict[str, Any]
    item: ServiceItem
    spec: CaseForm
    form: dict[str, Any]
    materials: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    pledge: dict[str, Any] | None


class _LostRace(Exception):
    """Another delivery of the same event filed this item first."""


def _bundle_fields(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in f.items() if k != "maps"} for f in doc["fields"]]


def _item_values(doc: dict[str, Any], code: str, cleaned: dict[str, Any]) -> dict[str, Any]:
    return {
        f["maps"][code]: cleaned[f["name"]]
        for f in doc["fields"]
        if code in f["maps"] and f["name"] in cleaned
    }


def _item_refs(doc: dict[str, Any], code: str, given: dict[str, dict[str, Any]]) -> list[dict]:
    return [
        {"name": m["maps"][code], **given[m["name"]]}
        for m in doc["materials"]
        if code in m["maps"] and m["name"] in given
    ]


@dataclass
class Bundles:
    cases: Cases
    vault: PiiVault
    rules: ServiceRules

    # ------------------------------------------------------------------ applying once

    async def apply(
        self,
        who: Principal,
        body: dict[str, Any],
        idempotency_key: str | None,
    ) -> tuple[BundleCase, bool]:
        """One submission → the bundle case and its cases, all or nothing. The same key (or,
        without one, the same request) answers the bundle case it made: (case, created)."""
        digest = request_digest(body)
        key = idempotency_key or f"request-{digest[:48]}"
        earlier = await self._earlier(who, key, digest)
        if earlier is not None:
            return earlier, False
        definition = await published(body["bundle_code"])
        doc = definition.document
        citizen = await Citizen.get(id=who.citizen_id)
        if not citizen.verified:
            raise NotVerified()
        legal_person = await self._applicant(who, doc, body.get("on_behalf_of"))
        cleaned = check_form(_bundle_fields(doc), body.get("form") or {})
        given = await self._given(who, doc, body.get("materials") or [], body.get("pending") or [])
        prepared = [await self._prepare(doc, entry, cleaned, given, body) for entry in doc["items"]]
        try:
            bundle = await self._write(who, definition, legal_person, prepared, key, digest)
        except IntegrityError:
            # The same key raced in twice: the unique key let one through.
            earlier = await self._earlier(who, key, digest)
            if earlier is None:
                raise
            return earlier, False
        return bundle, True

    async def _earlier(self, who: Principal, key: str, digest: str) -> BundleCase | None:
        found = await BundleCase.get_or_none(citizen_id=who.citizen_id, idempotency_key=key)
        if found is not None and found.request_sha256 != digest:
            raise BundleRequestReused(bundle_no=found.bundle_no)
        return found

    async def _applicant(
        self, who: Principal, doc: dict[str, Any], on_behalf_of: str | None
    ) -> LegalPerson | None:
        if doc["audience"] != "legal":
            if on_behalf_of is not None:
                raise OnBehalfNotAllowed(bundle_code=doc["code"], field="on_behalf_of")
            return None
        if not on_behalf_of:
            raise LegalPersonRequired(bundle_code=doc["code"], field="on_behalf_of")
        found = await standing(who.citizen_id, on_behalf_of, self.vault)
        if found.legal_person.status != legal_states.ACTIVE:
            raise LegalPersonDeregistered(uscc=found.legal_person.uscc)
        return found.legal_person

    async def _given(
        self,
        who: Principal,
        doc: dict[str, Any],
        attachments: list[dict[str, Any]],
        pending: list[str],
    ) -> dict[str, dict[str, Any]]:
        """The bundle materials sent (name → reference), every problem named at once."""
        wanted = {m["name"]: m for m in doc["materials"]}
        problems: dict[str, str] = {}
        given: dict[str, dict[str, Any]] = {}
        for a in attachments:
            name = a.get("name")
            if name not in wanted:
                problems[str(name)] = "is not a material of this bundle"
            elif a.get("licence_id") is not None:
                lic = await owned_licence(who.citizen_id, a["licence_id"])
                given[name] = {"licence_id": lic.id}
            else:
                found = await owned_material(who.citizen_id, a.get("material_id"))
                given[name] = {"material_id": found.id}
        for name in pending:
            if name not in wanted:
                problems[str(name)] = "is not a material of this bundle"
            elif wanted[name].get("key", True):
                problems[name] = "is a key material: it cannot be accepted as pending (容缺)"
            elif name in given:
                problems[name] = "is both sent and declared pending"
        for name, m in wanted.items():
            if m.get("required", True) and name not in given and name not in pending:
                problems[name] = "is required"
        if problems:
            raise FormInvalid(
                "Materials have problems: " + ", ".join(sorted(problems)) + ".",
                materials=problems,
            )
        return given

    async def _prepare(
        self,
        doc: dict[str, Any],
        entry: dict[str, Any],
        cleaned: dict[str, Any],
        given: dict[str, dict[str, Any]],
        body: dict[str, Any],
    ) -> Prepared:
        code = entry["item"]
        item = await ServiceItem.get_or_none(code=code, status="active")
        spec = await CaseForm.get_or_none(item_code=code)
        if item is None or spec is None:
            raise ItemNotApplicable(item_code=code)
        try:
            checked = check_form(spec.fields_spec, _item_values(doc, code, cleaned))
        except FormInvalid as exc:
            # Name the bundle's fields, the ones the applicant sees.
            back = {f["maps"][code]: f["name"] for f in doc["fields"] if code in f["maps"]}
            fields = {back.get(k, k): v for k, v in exc.details.get("fields", {}).items()}
            raise FormInvalid(
                "The form has problems: " + ", ".join(sorted(fields)) + ".", fields=fields
            ) from exc
        pending_names = body.get("pending") or []
        pending = [
            {"name": m["maps"][code], "bundle_material": m["name"], "days": m["pending_days"]}
            for m in doc["materials"]
            if code in m["maps"] and m["name"] in pending_names
        ]
        pledged = code in (body.get("pledges") or [])
        if pledged and not entry.get("pledge"):
            raise FormInvalid(
                f"{code} is not approved on a pledge.", fields={"pledges": f"{code} has no pledge"}
            )
        pledge = None
        if pledged:
            text = entry["pledge"]["text"]
            pledge = {
                "text": text,
                "text_sm3": sm3(text.encode()).hex(),
                "signed_at": clock.now().isoformat(),
            }
        return Prepared(
            entry=entry,
            item=item,
            spec=spec,
            form=self.cases.seal(spec, checked),
            materials=_item_refs(doc, code, given),
            pending=pending,
            pledge=pledge,
        )

    async def _write(
        self,
        who: Principal,
        definition: BundleDefinition,
        legal_person: LegalPerson | None,
        prepared: list[Prepared],
        key: str,
        digest: str,
    ) -> BundleCase:
        doc = definition.document
        now = clock.now()
        async with in_transaction() as tx:
            if legal_person is not None:
                held = await standing(
                    who.citizen_id, legal_person.uscc, self.vault, using=tx, lock=True
                )
                if held.legal_person.status != legal_states.ACTIVE:
                    raise LegalPersonDeregistered(uscc=legal_person.uscc)
            bundle = await BundleCase.create(
                bundle_no=f"pending-{uuid.uuid4().hex[:12]}",
                definition_id=definition.id,
                bundle_code=definition.code,
                bundle_name=definition.name,
                citizen_id=who.citizen_id,
                legal_person_id=legal_person.id if legal_person else None,
                channel=who.channel,
                notify_account_id=who.account_id,
                status=states.IN_PROGRESS,
                idempotency_key=key,
                request_sha256=digest,
                due_date=clock.shanghai_date(now),
                created_at=now,
                updated_at=now,
                using_db=tx,
            )
            bundle.bundle_no = "B" + case_number(bundle.id, clock.shanghai_date(now))
            whole = await open_deadline(
                tx,
                subject_type=SUBJECT,
                subject_ref=bundle.bundle_no,
                step=WHOLE,
                department_code=definition.lead_department,
                working_days=doc["time_limit_days"],
                weekend_days=self.rules.weekend_days,
            )
            bundle.due_date = whole.due_date
            await (
                BundleCase.filter(id=bundle.id)
                .using_db(tx)
                .update(bundle_no=bundle.bundle_no, due_date=bundle.due_date)
            )
            for position, p in enumerate(prepared):
                item = await BundleItem.create(
                    bundle_case_id=bundle.id,
                    position=position,
                    item_code=p.item.code,
                    item_name=p.item.name,
                    department_code=p.item.department_code,
                    after=list(p.entry.get("after", [])),
                    status=states.WAITING,
                    form=p.form,
                    form_version=p.spec.version,
                    materials=p.materials,
                    pending=[],
                    pledge=p.pledge,
                    received=[],
                    using_db=tx,
                )
                if p.pending:
                    item.pending = await self._pending(tx, bundle, item, p.pending)
                    await BundleItem.filter(id=item.id).using_db(tx).update(pending=item.pending)
                if not item.after:
                    await self._file(bundle, item)
        return bundle

    async def _pending(
        self, tx: Any, bundle: BundleCase, item: BundleItem, pending: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """容缺: the department tracks the material owed, due in the bundle's working days."""
        days = min(p["days"] for p in pending)
        owed = await open_deadline(
            tx,
            subject_type=SUBJECT,
            subject_ref=bundle.bundle_no,
            step=supply_step(item.position),
            department_code=item.department_code,
            working_days=days,
            weekend_days=self.rules.weekend_days,
        )
        return [
            {
                "name": p["name"],
                "bundle_material": p["bundle_material"],
                "due_date": owed.due_date.isoformat(),
            }
            for p in pending
        ]

    async def _file(self, bundle: BundleCase, item: BundleItem) -> Case:
        """File the item as a normal case for its department's desk (in the caller's
        transaction); a pledged item is approved on the applicant's pledge at once."""
        spec = await form_version(item.item_code, item.form_version) or await CaseForm.get(
            item_code=item.item_code
        )
        found = await ServiceItem.get(code=item.item_code)
        received = [
            {"name": r["material"], "licence_id": r["licence_id"]}
            for r in item.received
            if r.get("licence_id") is not None and r.get("material")
        ]
        case = await self.cases.file(
            citizen_id=bundle.citizen_id,
            legal_person_id=bundle.legal_person_id,
            item=found,
            spec=spec,
            sealed_form=item.form,
            materials=item.materials + received,
            channel=bundle.channel,
            notify_account_id=bundle.notify_account_id,
            note=f"一件事 {bundle.bundle_name}（{bundle.bundle_no}）",
        )
        if not await move(item, states.FILED, case_id=case.id):
            raise _LostRace()
        if item.pledge is not None:
            case = await self.cases.on_pledge(case, "告知承诺：申请人已签署承诺书，先行审批")
        return case

    # ------------------------------------------------------------------ reading

    async def visible(self, who: Principal, bundle_no: str) -> BundleCase:
        """The applicant's bundle, or a legal person's to its representative and agents;
        anyone else's number looks exactly like an unknown one."""
        bundle = await BundleCase.get_or_none(bundle_no=bundle_no)
        if bundle is None:
            raise BundleCaseNotFound(bundle_no=bundle_no)
        if bundle.legal_person_id is None:
            if bundle.citizen_id != who.citizen_id:
                raise BundleCaseNotFound(bundle_no=bundle_no)
        elif not await may_act_for(who.citizen_id, bundle.legal_person_id, self.vault):
            raise BundleCaseNotFound(bundle_no=bundle_no)
        return bundle

    # ------------------------------------------------------------------ supplementing once

    async def supplement(
        self,
        who: Principal,
        bundle_no: str,
        form: dict[str, Any],
        attachments: list[dict[str, Any]],
    ) -> BundleCase:
        """One answer reaches every case that needs it: a sent-back case resumes (补正), a
        case in flight is amended, a waiting item keeps the new value for when it starts,
        and a material owed under 容缺 is marked supplied."""
        bundle = await self.visible(who, bundle_no)
        if bundle.status != states.IN_PROGRESS:
            raise BundleSupplementUnneeded("The bundle is finished.", bundle_no=bundle_no)
        doc = (await BundleDefinition.get(id=bundle.definition_id)).document
        known = {f["name"]: {**f, "required": True} for f in _bundle_fields(doc)}
        unknown = {k: "is not a field of this bundle" for k in form if k not in known}
        if unknown:
            raise FormInvalid("The form has problems: " + ", ".join(unknown) + ".", fields=unknown)
        cleaned = check_form([known[k] for k in form], form)
        given = await self._given(
            who,
            {**doc, "materials": [{**m, "required": False} for m in doc["materials"]]},
            attachments,
            [],
        )
        touched: list[str] = []
        async with in_transaction():
            for item in await BundleItem.filter(bundle_case_id=bundle.id).order_by("position"):
                if await self._reach(who, bundle, doc, item, cleaned, given):
                    touched.append(item.item_code)
        if not touched:
            raise BundleSupplementUnneeded(bundle_no=bundle_no)
        return bundle

    async def _reach(
        self,
        who: Principal,
        bundle: BundleCase,
        doc: dict[str, Any],
        item: BundleItem,
        cleaned: dict[str, Any],
        given: dict[str, dict[str, Any]],
    ) -> bool:
        values = _item_values(doc, item.item_code, cleaned)
        refs = _item_refs(doc, item.item_code, given)
        owed = [p for p in item.pending if p["bundle_material"] not in given]
        if not values and not refs:
            return False
        what = "、".join([*values, *(r["name"] for r in refs)])
        note = f"一件事 {bundle.bundle_no} 补充：{what}"
        if item.status == states.WAITING:
            spec = await form_version(item.item_code, item.form_version) or await CaseForm.get(
                item_code=item.item_code
            )
            subset = [f for f in spec.fields_spec if f["name"] in values]
            names = {r["name"] for r in refs}
            await BundleItem.filter(id=item.id).update(
                form={**item.form, **self.cases.seal(spec, check_form(subset, values))},
                materials=[m for m in item.materials if m["name"] not in names] + refs,
            )
        elif item.status == states.FILED:
            case = await Case.get(id=item.case_id)
            if case.status in case_states.FINISHED or case.status == case_states.APPROVED:
                return False
            atts = [dict(r) for r in refs]
            if case.status == case_states.RETURNED:
                await self.cases.supplement(who, case.case_no, values, atts)
            else:
                await self.cases.amend(who, case.case_no, values, atts, note=note)
        else:
            return False
        if len(owed) != len(item.pending):
            await BundleItem.filter(id=item.id).update(pending=owed)
            if not owed:
                await meet_deadline_any(bundle.bundle_no, supply_step(item.position))
        return True

    # ------------------------------------------------------------------ the case room's events

    async def guard(self, case: Case, action: str) -> None:
        """An agency may accept with a material pending (容缺受理), not approve or deliver."""
        if action not in ("approve", "complete"):
            return
        item = await BundleItem.get_or_none(case_id=case.id)
        if item is not None and item.pending:
            raise BundleMaterialPending(
                case_no=case.case_no, materials=[p["name"] for p in item.pending]
            )

    async def on_case_finished(self, payload: dict[str, Any]) -> None:
        """A case of a bundle finished: start the items it gated, or cancel those that can no
        longer get what they need, and close the bundle once every item is done. Idempotent:
        each item moves by compare-and-set, so a second delivery changes nothing."""
        item = await BundleItem.get_or_none(case_id=payload["case_id"])
        if item is None:
            return
        case = await Case.get(id=payload["case_id"])
        bundle = await BundleCase.get(id=item.bundle_case_id)
        if bundle.status != states.IN_PROGRESS:
            return
        doc = (await BundleDefinition.get(id=bundle.definition_id)).document
        if case.status == case_states.COMPLETED:
            await self._start_successors(bundle, doc)
        else:
            await self._cancel_dependants(bundle, item.item_code)
        await self._finish_if_done(bundle)

    async def _start_successors(self, bundle: BundleCase, doc: dict[str, Any]) -> None:
        items = await BundleItem.filter(bundle_case_id=bundle.id)
        by_code = {i.item_code: i for i in items}
        done = {
            c.id: c
            for c in await Case.filter(
                id__in=[i.case_id for i in items if i.case_id], status=case_states.COMPLETED
            )
        }
        entries = {e["item"]: e for e in doc["items"]}
        for item in items:
            if item.status != states.WAITING:
                continue
            preds = [by_code[code] for code in item.after]
            if not all(p.case_id in done for p in preds):
                continue
            item.received = await self._received(entries[item.item_code], by_code, done)
            try:
                async with in_transaction():
                    await BundleItem.filter(id=item.id, status=states.WAITING).update(
                        received=item.received
                    )
                    await self._file(bundle, item)
            except _LostRace:
                continue

    async def _received(
        self, entry: dict[str, Any], by_code: dict[str, BundleItem], done: dict[int, Case]
    ) -> list[dict[str, Any]]:
        """Each predecessor's result, and its e-licence where it stands in for a material."""
        stands_in = {r["from"]: r["material"] for r in entry.get("receives", [])}
        received = []
        for code in entry.get("after", []):
            case = done[by_code[code].case_id or 0]
            licence = await ELicence.filter(case_id=case.id).order_by("id").first()
            received.append(
                {
                    "from": code,
                    "case_no": case.case_no,
                    "result": case.result,
                    "licence_id": licence.id if licence else None,
                    "material": stands_in.get(code) if licence else None,
                }
            )
        return received

    async def _cancel_dependants(self, bundle: BundleCase, refused: str) -> None:
        items = await BundleItem.filter(bundle_case_id=bundle.id)
        blocked = {refused}
        grew = True
        while grew:
            grew = False
            for item in items:
                if item.item_code not in blocked and blocked & set(item.after):
                    blocked.add(item.item_code)
                    grew = True
        for item in items:
            if item.item_code in blocked and item.status == states.WAITING:
                await move(item, states.CANCELLED)

    async def _finish_if_done(self, bundle: BundleCase) -> None:
        items = await BundleItem.filter(bundle_case_id=bundle.id).order_by("position")
        if any(i.status == states.WAITING for i in items):
            return
        cases = {c.id: c for c in await Case.filter(id__in=[i.case_id for i in items if i.case_id])}
        if any(c.status not in case_states.FINISHED for c in cases.values()):
            return
        every = all(
            i.status == states.FILED and cases[i.case_id or 0].status == case_states.COMPLETED
            for i in items
        )
        now = clock.now()
        async with in_transaction() as tx:
            moved = await move(
                bundle,
                states.COMPLETED if every else states.PARTLY_REFUSED,
                using=tx,
                finished_at=now,
                updated_at=now,
                result=await one_result(items, cases),
            )
            if moved:
                await meet_deadline(
                    tx, subject_type=SUBJECT, subject_ref=bundle.bundle_no, step=WHOLE
                )
                for i in items:
                    await meet_deadline(
                        tx,
                        subject_type=SUBJECT,
                        subject_ref=bundle.bundle_no,
                        step=supply_step(i.position),
                    )


async def meet_deadline_any(bundle_no: str, step: str) -> None:
    async with in_transaction() as tx:
        await meet_deadline(tx, subject_type=SUBJECT, subject_ref=bundle_no, step=step)


async def one_result(items: list[BundleItem], cases: dict[int, Case]) -> dict[str, Any]:
    """The bundle's one result: every case's outcome and every e-licence it issued."""
    licences = await ELicence.filter(case_id__in=list(cases)).order_by("id")
    return {
        "cases": [
            {
                "item_code": i.item_code,
                "item_name": i.item_name,
                "case_no": cases[i.case_id].case_no if i.case_id else None,
                "status": cases[i.case_id].status if i.case_id else i.status,
                "result": cases[i.case_id].result if i.case_id else None,
                "express_no": cases[i.case_id].express_no if i.case_id else None,
            }
            for i in items
        ],
        "licences": [
            {
                "id": x.id,
                "kind": x.kind,
                "title": x.title,
                "number": x.number,
                "department_code": x.department_code,
                "issued_at": x.issued_at.isoformat(),
            }
            for x in licences
        ],
    }

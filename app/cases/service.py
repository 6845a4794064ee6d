"""Applying, supplementing and working cases: every move through states.CASE.

Each move is one transaction: the compare-and-set on the case, its timeline step, the
supervisor's deadlines and the outbox event that tells the resident.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.agency.models import Agency
from app.cases import states
from app.cases.forms import check_form
from app.cases.materials import MaterialStore, attached_material, owned_licence, owned_material
from app.cases.models import (
    Case,
    CaseDesk,
    CaseForm,
    CaseFormVersion,
    CaseStep,
    ELicence,
    Material,
)
from app.cases.setup import form_version
from app.catalog import audit
from app.catalog.models import ServiceItem
from app.config import ServiceRules
from app.errors import (
    CaseNotFound,
    CaseTransitionForbidden,
    FormInvalid,
    ItemNotApplicable,
    LegalPersonDeregistered,
    LegalPersonRequired,
    NotVerified,
    OnBehalfNotAllowed,
)
from app.fees.payment_codes import mod11_10_check_digit
from app.identity.legal import states as legal_states
from app.identity.legal.standing import may_act_for, standing
from app.identity.models import Citizen, LegalPerson
from app.identity.sessions import Principal
from app.supervision.deadlines import meet_deadline, open_deadline
from infra import clock
from infra.masking import mask_id_number, mask_phone
from infra.outbox import emit
from infra.pii import PiiDecryptError, PiiUnknownKey, PiiVault
from infra.transitions import move

CASE_NOTICE = "case.notice"
# Emitted once when a case reaches a final status (rejected, completed), so rooms that
# follow cases (bundles) react through the outbox without this room knowing them.
CASE_FINISHED = "case.finished"
# A check another room adds (composition root) before an agency's move: (case, action).
CaseGuard = Callable[[Case, str], Awaitable[None]]
# What a case is checked and timed against: the current form, or the version it was filed under.
FormSpec = CaseForm | CaseFormVersion
# Online levels from 3 (在线预审) up take applications online.
MIN_ONLINE_LEVEL = 3
# catalog.ServiceItem.audience: who applies. A legal item is applied for on behalf of one.
LEGAL_AUDIENCE = "legal"
SEALED_TYPES = {"id_number": mask_id_number, "phone": mask_phone}


def sealed_kind(vault: PiiVault, token: str) -> str:
    """Which sealed field type a form value was sealed as, when its form no longer says
    (the field was dropped since): the purpose is bound into the seal, so only one opens."""
    for kind in SEALED_TYPES:
        try:
            vault.decrypt(f"case_form:{kind}", token)
        except PiiUnknownKey:
            raise
        except PiiDecryptError:
            continue
        return kind
    raise PiiDecryptError("a case form value opens as no sealed field type")


def case_number(case_id: int, day: Any) -> str:
    """16 digits: Shanghai date, 7-digit serial, MOD 11-10 check digit (catches mistypes)."""
    body = f"{day:%Y%m%d}{case_id % 10_000_000:07d}"
    return body + mod11_10_check_digit(body)


@dataclass
class Cases:
    vault: PiiVault
    rules: ServiceRules
    # Checks run before an agency moves a case (a bundle refuses approval while a material
    # accepted as pending is still missing); each raises to refuse.
    guards: list[CaseGuard] = field(default_factory=list)

    # ------------------------------------------------------------------ resident side

    async def apply(
        self,
        who: Principal,
        item_code: str,
        form: dict[str, Any],
        attachments: list[dict[str, Any]],
        on_behalf_of: str | None = None,
    ) -> Case:
        """``on_behalf_of`` (a USCC) files the case for a legal person the caller represents
        or is a current agent of. Every check runs before anything is written."""
        citizen = await Citizen.get(id=who.citizen_id)
        if not citizen.verified:
            raise NotVerified()
        item = await ServiceItem.get_or_none(code=item_code, status="active")
        spec = await CaseForm.get_or_none(item_code=item_code)
        if item is None or spec is None or item.online_level < MIN_ONLINE_LEVEL:
            raise ItemNotApplicable(item_code=item_code)
        legal_person = await self._applicant(who, item, on_behalf_of)
        cleaned = self._seal(spec, check_form(spec.fields_spec, form))
        refs = await self._attachments(who.citizen_id, spec, attachments, required=True)
        async with in_transaction() as tx:
            if legal_person is not None:
                # Again under the legal person's lock: a revocation that committed meanwhile
                # wins, so a revoked agent never files after the representative saw it done.
                held = await standing(
                    who.citizen_id, legal_person.uscc, self.vault, using=tx, lock=True
                )
                if held.legal_person.status != legal_states.ACTIVE:
                    raise LegalPersonDeregistered(uscc=legal_person.uscc)
            case = await self.file(
                citizen_id=who.citizen_id,
                legal_person_id=legal_person.id if legal_person is not None else None,
                item=item,
                spec=spec,
                sealed_form=cleaned,
                materials=refs,
                channel=who.channel,
                notify_account_id=who.account_id,
            )
        return case

    async def file(
        self,
        *,
        citizen_id: uuid.UUID,
        legal_person_id: int | None,
        item: ServiceItem,
        spec: FormSpec,
        sealed_form: dict[str, Any],
        materials: list[dict[str, Any]],
        channel: str,
        notify_account_id: int,
        note: str | None = None,
    ) -> Case:
        """Write a case whose form and materials were already checked (``seal`` of
        ``check_form``), in the caller's transaction when there is one: a bundle files one
        case per item in one transaction, all or nothing."""
        now = clock.now()
        async with in_transaction() as tx:
            case = await Case.create(
                case_no=f"pending-{uuid.uuid4().hex[:12]}",
                citizen_id=citizen_id,
                legal_person_id=legal_person_id,
                item_code=item.code,
                item_name=item.name,
                department_code=item.department_code,
                channel=channel,
                notify_account_id=notify_account_id,
                status=states.SUBMITTED,
                form=sealed_form,
                form_version=spec.version,
                materials=materials,
                created_at=now,
                updated_at=now,
                using_db=tx,
            )
            case.case_no = case_number(case.id, clock.shanghai_date(now))
            await Case.filter(id=case.id).using_db(tx).update(case_no=case.case_no)
            step = await CaseStep.create(
                case_id=case.id,
                action="apply",
                from_status="",
                to_status=states.SUBMITTED,
                actor="resident",
                note=note,
                at=now,
                using_db=tx,
            )
            await self._supervise(tx, case, None, states.SUBMITTED, spec)
            await self._notify(tx, case, step)
        return case

    async def amend(
        self,
        who: Principal,
        case_no: str,
        form: dict[str, Any],
        attachments: list[dict[str, Any]],
        *,
        note: str,
    ) -> Case:
        """New values for a case still in flight (submitted or accepted), without moving it:
        one answer to a bundle's supplement reaches every case that needs it. A case that
        moved meanwhile is refused (CASE_TRANSITION_FORBIDDEN), never overwritten."""
        case = await self.visible(who, case_no)
        if case.status not in (states.SUBMITTED, states.ACCEPTED):
            raise CaseTransitionForbidden(
                f"A case that is {case.status} cannot be amended.", status=case.status
            )
        _, cleaned, materials = await self._revised(who, case, form, attachments)
        now = clock.now()
        async with in_transaction() as tx:
            changed = (
                await Case.filter(id=case.id, status=case.status)
                .using_db(tx)
                .update(
                    form=cleaned,
                    materials=materials,
                    notify_account_id=who.account_id,
                    updated_at=now,
                )
            )
            if changed != 1:
                raise CaseTransitionForbidden("The case moved on meanwhile; reload it.")
            step = await CaseStep.create(
                case_id=case.id,
                action="amend",
                from_status=case.status,
                to_status=case.status,
                actor="resident",
                note=note,
                at=now,
                using_db=tx,
            )
            fresh = await Case.get(id=case.id).using_db(tx)
            await self._notify(tx, fresh, step)
        return fresh

    async def on_pledge(self, case: Case, note: str) -> Case:
        """告知承诺: an item approved on the applicant's signed pledge is accepted and
        approved at once by the platform (actor ``pledge``); its agency then delivers."""
        spec = await self._spec_of(case)
        for action in ("accept", "approve"):
            case = await self._move(case, action, "pledge", note=note, spec=spec, changes={})
        return case

    async def supplement(
        self,
        who: Principal,
        case_no: str,
        form: dict[str, Any],
        attachments: list[dict[str, Any]],
    ) -> Case:
        """补正: the sent-back case resumes with its number, history and earlier materials."""
        case = await self.visible(who, case_no)
        states.next_status(case.status, "supplement")
        spec, cleaned, materials = await self._revised(who, case, form, attachments)
        return await self._move(
            case,
            "supplement",
            "resident",
            note=None,
            spec=spec,
            changes={"form": cleaned, "materials": materials, "notify_account_id": who.account_id},
        )

    async def _revised(
        self,
        who: Principal,
        case: Case,
        form: dict[str, Any],
        attachments: list[dict[str, Any]],
    ) -> tuple[FormSpec, dict[str, Any], list[dict[str, Any]]]:
        """The case's form with ``form`` merged in, checked whole and sealed, and its
        materials with ``attachments`` replacing those of the same name."""
        spec = await self._spec_of(case)
        merged = {**self._unsealed_for_check(spec, case.form), **form}
        cleaned = self._seal(spec, check_form(spec.fields_spec, merged))
        added = await self._attachments(who.citizen_id, spec, attachments, required=False)
        names = {a["name"] for a in added}
        materials = [m for m in case.materials if m["name"] not in names] + added
        if len(materials) > self.rules.materials_per_case:
            raise FormInvalid(
                "Too many materials for one case.", limit=self.rules.materials_per_case
            )
        return spec, cleaned, materials

    async def visible(self, who: Principal, case_no: str) -> Case:
        """A personal case to its owner, a legal person's case to its representative and
        current agents (not to whoever filed it once they lost that standing). Anyone
        else's case number looks exactly like an unknown one."""
        case = await Case.get_or_none(case_no=case_no)
        if case is None:
            raise CaseNotFound(case_no=case_no)
        if case.legal_person_id is None:
            if case.citizen_id != who.citizen_id:
                raise CaseNotFound(case_no=case_no)
        elif not await may_act_for(who.citizen_id, case.legal_person_id, self.vault):
            raise CaseNotFound(case_no=case_no)
        return case

    async def for_legal_person(self, who: Principal, uscc: str, limit: int = 100) -> list[Case]:
        """The legal person's cases, newest first, for its representative and agents."""
        found = await standing(who.citizen_id, uscc, self.vault)
        return await Case.filter(legal_person_id=found.legal_person.id).order_by("-id").limit(limit)

    async def licences_of_legal_person(self, who: Principal, uscc: str) -> list[ELicence]:
        found = await standing(who.citizen_id, uscc, self.vault)
        return await ELicence.filter(legal_person_id=found.legal_person.id).order_by("-id")

    async def _applicant(
        self, who: Principal, item: ServiceItem, on_behalf_of: str | None
    ) -> LegalPerson | None:
        """None for a personal item. A legal item names an active legal person the caller
        may act for."""
        if item.audience != LEGAL_AUDIENCE:
            if on_behalf_of is not None:
                raise OnBehalfNotAllowed(item_code=item.code, field="on_behalf_of")
            return None
        if not on_behalf_of:
            raise LegalPersonRequired(item_code=item.code, field="on_behalf_of")
        found = await standing(who.citizen_id, on_behalf_of, self.vault)
        if found.legal_person.status != legal_states.ACTIVE:
            raise LegalPersonDeregistered(uscc=found.legal_person.uscc)
        return found.legal_person

    # ------------------------------------------------------------------ agency side

    async def for_agency(self, agency_id: int, case_no: str) -> Case:
        case = await Case.get_or_none(case_no=case_no)
        if case is None or not await CaseDesk.exists(
            agency_id=agency_id, department_code=case.department_code
        ):
            raise CaseNotFound(case_no=case_no)
        return case

    async def reveal_form(
        self, agency: Agency, case_no: str, wanted: list[str], reason: str
    ) -> dict[str, str]:
        """The sealed fields of a case's form (ID numbers, phones) in the clear, for the
        agency working it: every look is on the audit chain, with the fields and the
        reason, before anything is returned. No ``wanted`` means every sealed field."""
        case = await self.for_agency(agency.id, case_no)
        sealed = {
            name: value["enc"]
            for name, value in case.form.items()
            if isinstance(value, dict) and "enc" in value
        }
        unknown = [name for name in wanted if name not in sealed]
        if unknown:
            raise FormInvalid(
                "Only the form's sealed fields can be revealed.",
                fields={name: "is not a sealed field of this case" for name in unknown},
            )
        names = sorted(set(wanted) or set(sealed))
        kinds = {f["name"]: f["type"] for f in (await self._spec_of(case)).fields_spec}
        shown = {
            name: self.vault.decrypt(
                f"case_form:{kinds.get(name) or sealed_kind(self.vault, sealed[name])}",
                sealed[name],
            )
            for name in names
        }
        await audit.reveal(
            None,
            "reveal.case_form",
            "case",
            case.case_no,
            department=case.department_code,
            fields=names,
            reason=reason,
            by=f"agency:{agency.key}",
        )
        return shown

    async def material_for_agency(
        self, agency: Agency, case_no: str, material_id: int, store: MaterialStore
    ) -> tuple[Material, bytes]:
        """A material attached to a case of the agency, opened: an uploaded ID card or
        certificate is personal data in the clear, so each fetch is on the audit chain."""
        case = await self.for_agency(agency.id, case_no)
        material = await attached_material(case, material_id)
        data = await store.content(material)
        await audit.reveal(
            None,
            "reveal.case_material",
            "case",
            case.case_no,
            department=case.department_code,
            fields=[f"material:{material.id}"],
            reason="working the case",
            by=f"agency:{agency.key}",
        )
        return material, data

    async def act(
        self,
        agency_id: int,
        case_no: str,
        action: str,
        *,
        note: str | None = None,
        result: dict[str, Any] | None = None,
        express_no: str | None = None,
    ) -> Case:
        if action not in states.AGENCY_ACTIONS:
            raise CaseTransitionForbidden(f"Agencies cannot {action} a case.", action=action)
        case = await self.for_agency(agency_id, case_no)
        for guard in self.guards:
            await guard(case, action)
        changes: dict[str, Any] = {}
        if action == "complete":
            changes = {"result": result or {}, "express_no": express_no}
        if states.next_status(case.status, action) in states.FINISHED:
            changes["finished_at"] = clock.now()
        spec = await self._spec_of(case)
        return await self._move(case, action, "agency", note=note, spec=spec, changes=changes)

    # ------------------------------------------------------------------ the one mover

    async def _move(
        self,
        case: Case,
        action: str,
        actor: str,
        *,
        note: str | None,
        spec: FormSpec,
        changes: dict[str, Any],
    ) -> Case:
        src = case.status
        dst = states.next_status(src, action)
        now = clock.now()
        async with in_transaction() as tx:
            if not await move(case, dst, using=tx, updated_at=now, **changes):
                raise CaseTransitionForbidden("The case moved on meanwhile; reload it.")
            step = await CaseStep.create(
                case_id=case.id,
                action=action,
                from_status=src,
                to_status=dst,
                actor=actor,
                note=note,
                at=now,
                using_db=tx,
            )
            fresh = await Case.get(id=case.id).using_db(tx)
            await self._supervise(tx, fresh, src, dst, spec)
            if action == "complete":
                await self._issue_licence(tx, fresh)
            await self._notify(tx, fresh, step)
            if dst in states.FINISHED:
                await emit(
                    CASE_FINISHED,
                    {"case_id": case.id},
                    using=tx,
                    dedupe_key=f"case-finished:{case.id}",
                )
        return fresh

    async def _supervise(
        self, tx: BaseDBAsyncClient, case: Case, src: str | None, dst: str, spec: FormSpec
    ) -> None:
        if src in states.WAITING_STEP:
            await meet_deadline(
                tx, subject_type="case", subject_ref=case.case_no, step=states.WAITING_STEP[src]
            )
        step = states.WAITING_STEP.get(dst)
        if step is None:
            return
        days = {
            "accept": self.rules.accept_working_days,
            "decide": spec.time_limit_days,
            "deliver": self.rules.deliver_working_days,
        }[step]
        await open_deadline(
            tx,
            subject_type="case",
            subject_ref=case.case_no,
            step=step,
            department_code=case.department_code,
            working_days=days,
            weekend_days=self.rules.weekend_days,
        )

    async def _issue_licence(self, tx: BaseDBAsyncClient, case: Case) -> None:
        licence = (case.result or {}).get("licence")
        if not isinstance(licence, dict):
            return
        await ELicence.create(
            citizen_id=case.citizen_id,
            legal_person_id=case.legal_person_id,
            kind=str(licence.get("kind", case.item_code))[:32],
            title=str(licence.get("title", case.item_name))[:64],
            number=str(licence.get("number", case.case_no))[:64],
            department_code=case.department_code,
            case_id=case.id,
            issued_at=clock.now(),
            using_db=tx,
        )

    async def _notify(self, tx: BaseDBAsyncClient, case: Case, step: CaseStep) -> None:
        await emit(
            CASE_NOTICE,
            {"case_id": case.id, "step_id": step.id},
            using=tx,
            dedupe_key=f"case-notice:{step.id}",
        )

    # ------------------------------------------------------------------ forms and materials

    async def _spec_of(self, case: Case) -> FormSpec:
        """The form the case was filed under: a form changed meanwhile applies to new
        applications, never to a case already in flight (its fields may be gone)."""
        filed = await form_version(case.item_code, case.form_version)
        return filed if filed is not None else await CaseForm.get(item_code=case.item_code)

    def seal(self, spec: FormSpec, cleaned: dict[str, Any]) -> dict[str, Any]:
        return self._seal(spec, cleaned)

    def _seal(self, spec: FormSpec, cleaned: dict[str, Any]) -> dict[str, Any]:
        """ID numbers and phones in forms are personal data: sealed at rest, shown masked."""
        kinds = {f["name"]: f["type"] for f in spec.fields_spec}
        sealed: dict[str, Any] = {}
        for name, value in cleaned.items():
            kind = kinds[name]
            if kind in SEALED_TYPES:
                sealed[name] = {
                    "enc": self.vault.encrypt(f"case_form:{kind}", value),
                    "masked": SEALED_TYPES[kind](value),
                }
            else:
                sealed[name] = value
        return sealed

    def _unsealed_for_check(self, spec: FormSpec, form: dict[str, Any]) -> dict[str, Any]:
        kinds = {f["name"]: f["type"] for f in spec.fields_spec}
        return {
            name: self.vault.decrypt(f"case_form:{kinds[name]}", value["enc"])
            if isinstance(value, dict) and "enc" in value
            else value
            for name, value in form.items()
        }

    async def _attachments(
        self,
        citizen_id: uuid.UUID,
        spec: FormSpec,
        attachments: list[dict[str, Any]],
        *,
        required: bool,
    ) -> list[dict[str, Any]]:
        wanted = {m["name"]: m for m in spec.materials_spec}
        problems: dict[str, str] = {}
        refs: list[dict[str, Any]] = []
        if len(attachments) > self.rules.materials_per_case:
            raise FormInvalid(
                "Too many materials for one case.", limit=self.rules.materials_per_case
            )
        for a in attachments:
            name = a.get("name")
            if name not in wanted:
                problems[str(name)] = "is not a material of this item"
            elif a.get("licence_id") is not None:
                lic = await owned_licence(citizen_id, a["licence_id"])
                refs.append({"name": name, "licence_id": lic.id})
            else:
                m = await owned_material(citizen_id, a.get("material_id"))
                refs.append({"name": name, "material_id": m.id})
        given = {r["name"] for r in refs}
        if required:
            for name, m in wanted.items():
                if m.get("required", True) and name not in given:
                    problems[name] = "is required"
        if problems:
            raise FormInvalid(
                "Materials have problems: " + ", ".join(sorted(problems)) + ".",
                materials=problems,
            )
        return refs

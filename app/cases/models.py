"""Case tables. Uploaded bytes live in ``case_material_blob`` (AES-GCM sealed, in the
database) apart from their metadata, so listings never load file contents."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.cases.states import CASE
from infra.transitions import Transitions


class CaseForm(Model):
    """The application form of one service item: typed fields and the materials it needs."""

    item_code = fields.CharField(max_length=19, primary_key=True)
    fields_spec = fields.JSONField()
    materials_spec = fields.JSONField()
    # Working days to decide once accepted (承诺时限); the item guide's limit by default.
    time_limit_days = fields.SmallIntField()
    updated_at = fields.DatetimeField()
    # Bumped by every change (compare-and-set), each version kept in case_form_version.
    version = fields.IntField(default=1, db_default=1)

    class Meta:
        table = "case_form"


class CaseFormVersion(Model):
    """Every version of every item's form: a case reads against the form it was filed under."""

    id = fields.BigIntField(primary_key=True)
    item_code = fields.CharField(max_length=19)
    version = fields.IntField()
    fields_spec = fields.JSONField()
    materials_spec = fields.JSONField()
    time_limit_days = fields.SmallIntField()
    defined_at = fields.DatetimeField()
    defined_by = fields.CharField(max_length=64)  # operator username, or "system"

    class Meta:
        table = "case_form_version"
        unique_together = (("item_code", "version"),)


class CaseDesk(Model):
    """Which signed agency works the cases of which department."""

    id = fields.BigIntField(primary_key=True)
    agency_id = fields.BigIntField(db_index=True)
    department_code = fields.CharField(max_length=32, db_index=True)

    class Meta:
        table = "case_desk"
        unique_together = (("agency_id", "department_code"),)


class Material(Model):
    """One uploaded file of a citizen, reusable in later applications (一次采集、多方复用)."""

    id = fields.BigIntField(primary_key=True)
    citizen_id = fields.UUIDField(db_index=True)
    filename = fields.CharField(max_length=128)
    content_type = fields.CharField(max_length=32)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "case_material"
        constraints = (
            CheckConstraint(
                check="content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
                name="case_material_type_known",
            ),
        )


class MaterialBlob(Model):
    """The sealed bytes of one material (infra.pii: key id, nonce, SM4-GCM or AES-GCM)."""

    material_id = fields.BigIntField(primary_key=True)
    sealed = fields.BinaryField()

    class Meta:
        table = "case_material_blob"


class ELicence(Model):
    """An electronic licence the platform holds for a citizen (电子证照), issued by a case."""

    id = fields.BigIntField(primary_key=True)
    citizen_id = fields.UUIDField(db_index=True)
    # Set when issued by a legal person's case: the licence is then in the legal person's
    # wallet (its representative and agents see it), not the filing citizen's.
    legal_person_id = fields.BigIntField(null=True, db_index=True)
    kind = fields.CharField(max_length=32)
    title = fields.CharField(max_length=64)
    number = fields.CharField(max_length=64)
    department_code = fields.CharField(max_length=32)
    case_id = fields.BigIntField(null=True)
    issued_at = fields.DatetimeField()

    class Meta:
        table = "case_licence"
        unique_together = (("kind", "number"),)


class Case(Model):
    """One application (办件). ``case_no`` is the number residents quote on every channel."""

    transitions: ClassVar[Transitions] = CASE

    id = fields.BigIntField(primary_key=True)
    case_no = fields.CharField(max_length=20, unique=True)
    # Who filed it. For a legal person's case this is the representative or agent who acted.
    citizen_id = fields.UUIDField(db_index=True)
    # Set when filed on behalf of a legal person (identity.LegalPerson): the case is then
    # the legal person's, seen by its representative and current agents only.
    legal_person_id = fields.BigIntField(null=True, db_index=True)
    item_code = fields.CharField(max_length=19, db_index=True)
    item_name = fields.CharField(max_length=64)
    department_code = fields.CharField(max_length=32, db_index=True)
    channel = fields.CharField(max_length=8)
    # Where progress notices go: the channel account the resident last acted from.
    notify_account_id = fields.BigIntField()
    status = fields.CharField(max_length=12, db_index=True)
    form = fields.JSONField()
    # The CaseForm version it was filed under (null: filed before forms had versions).
    form_version = fields.IntField(null=True)
    # [{"name", "material_id"} | {"name", "licence_id"}]
    materials = fields.JSONField()
    result = fields.JSONField(null=True)
    express_no = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "case_case"
        constraints = (
            CheckConstraint(
                check="status IN ('submitted', 'accepted', 'returned', 'approved', 'rejected',"
                " 'completed')",
                name="case_status_known",
            ),
            CheckConstraint(
                check="(status IN ('rejected', 'completed')) = (finished_at IS NOT NULL)",
                name="case_finished_consistent",
            ),
        )


class CaseStep(Model):
    """The timeline: every transition, who made it, when, and what it carried."""

    id = fields.BigIntField(primary_key=True)
    case_id = fields.BigIntField(db_index=True)
    action = fields.CharField(max_length=20)
    from_status = fields.CharField(max_length=12)
    to_status = fields.CharField(max_length=12)
    actor = fields.CharField(max_length=8)  # resident | agency
    note = fields.TextField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "case_step"

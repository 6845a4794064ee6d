"""Bundle tables: definition versions (data, reviewed), bundle cases and their items."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.bundles.states import BUNDLE_CASE, BUNDLE_ITEM, DEFINITION
from infra.transitions import Transitions


class BundleDefinition(Model):
    """One version of a bundle definition: the document holds the whole checked definition."""

    transitions: ClassVar[Transitions] = DEFINITION

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=32, db_index=True)
    version = fields.IntField()
    name = fields.CharField(max_length=64)
    audience = fields.CharField(max_length=8)  # personal | legal
    # 牵头部门: answers for the bundle's whole time limit.
    lead_department = fields.CharField(max_length=32)
    document = fields.JSONField()
    status = fields.CharField(max_length=10, db_index=True)
    author = fields.CharField(max_length=64)
    reviewer = fields.CharField(max_length=64, null=True)
    review_note = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    published_at = fields.DatetimeField(null=True)

    class Meta:
        table = "bundle_definition"
        unique_together = (("code", "version"),)
        constraints = (
            CheckConstraint(
                check="status IN ('draft', 'submitted', 'approved', 'rejected', 'published',"
                " 'superseded')",
                name="bundle_definition_status_known",
            ),
        )


class BundleCase(Model):
    """One application for a bundle: one submission, one case per item, one result."""

    transitions: ClassVar[Transitions] = BUNDLE_CASE

    id = fields.BigIntField(primary_key=True)
    bundle_no = fields.CharField(max_length=20, unique=True)
    definition_id = fields.BigIntField()
    bundle_code = fields.CharField(max_length=32)
    bundle_name = fields.CharField(max_length=64)
    citizen_id = fields.UUIDField(db_index=True)
    legal_person_id = fields.BigIntField(null=True, db_index=True)
    channel = fields.CharField(max_length=8)
    notify_account_id = fields.BigIntField()
    status = fields.CharField(max_length=16, db_index=True)
    # The applicant's key for this submission, and the SHA-256 of the request it named.
    idempotency_key = fields.CharField(max_length=64)
    request_sha256 = fields.CharField(max_length=64)
    due_date = fields.DateField()
    result = fields.JSONField(null=True)
    # The one rating of the bundle (scores and comment), set once.
    rating = fields.JSONField(null=True)
    rated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "bundle_case"
        unique_together = (("citizen_id", "idempotency_key"),)
        constraints = (
            CheckConstraint(
                check="status IN ('in_progress', 'completed', 'partly_refused')",
                name="bundle_case_status_known",
            ),
            CheckConstraint(
                check="(status = 'in_progress') = (finished_at IS NULL)",
                name="bundle_case_finished_consistent",
            ),
        )


class BundleItem(Model):
    """One item of a bundle case. A filed item points at its case, and a waiting one keeps
    the checked form and materials until its predecessors complete."""

    transitions: ClassVar[Transitions] = BUNDLE_ITEM

    id = fields.BigIntField(primary_key=True)
    bundle_case_id = fields.BigIntField(db_index=True)
    position = fields.SmallIntField()
    item_code = fields.CharField(max_length=19)
    item_name = fields.CharField(max_length=64)
    department_code = fields.CharField(max_length=32)
    after = fields.JSONField()  # item codes that must complete first
    status = fields.CharField(max_length=10)
    case_id = fields.BigIntField(null=True, unique=True)
    # The item's sealed form and material references (as a case carries them), checked
    # against this version of the item's form (cases.CaseFormVersion).
    form = fields.JSONField()
    form_version = fields.IntField()
    materials = fields.JSONField()
    # 容缺: [{"name", "bundle_material", "due_date"}] still to be supplied.
    pending = fields.JSONField()
    # 告知承诺: {"text", "text_sm3", "signed_at"} when the applicant signed the pledge.
    pledge = fields.JSONField(null=True)
    # What predecessors passed on: [{"from", "case_no", "licence_id", "material"}].
    received = fields.JSONField()

    class Meta:
        table = "bundle_item"
        unique_together = (("bundle_case_id", "item_code"),)
        constraints = (
            CheckConstraint(
                check="status IN ('waiting', 'filed', 'cancelled')",
                name="bundle_item_status_known",
            ),
            CheckConstraint(
                check="(status = 'filed') = (case_id IS NOT NULL)",
                name="bundle_item_filed_has_case",
            ),
        )

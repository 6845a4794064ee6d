"""Catalog tables. Rows of items and mini-app versions are never deleted: a retired item code
stays taken forever, and the audit trail can always point at what it describes."""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from app.catalog.states import ITEM, ITEM_VERSION, RELEASE, VERSION
from infra.transitions import Transitions


class Region(Model):
    """A node of the province / city / county tree, keyed by its 6-digit division code."""

    code = fields.CharField(max_length=6, primary_key=True)
    name = fields.CharField(max_length=32)
    parent_code = fields.CharField(max_length=6, null=True, db_index=True)
    level = fields.CharField(max_length=8)  # province | city | county

    class Meta:
        table = "catalog_region"


class Department(Model):
    """An agency that owns service items and mini-apps (operators are scoped by its code)."""

    code = fields.CharField(max_length=32, primary_key=True)
    name = fields.CharField(max_length=64)
    region_code = fields.CharField(max_length=6)

    class Meta:
        table = "catalog_department"


class Theme(Model):
    """One of the province's 16 life-event themes (主题)."""

    code = fields.CharField(max_length=16, primary_key=True)
    name = fields.CharField(max_length=16, unique=True)
    position = fields.SmallIntField()

    class Meta:
        table = "catalog_theme"


class ServiceItem(Model):
    """One implementation of a service item in one region (同一事项、同一编码)."""

    transitions: ClassVar[Transitions] = ITEM

    id = fields.BigIntField(primary_key=True)
    # e.g. CF-330100-00012-001: type prefix, region, 5-digit main, 3-digit sub.
    code = fields.CharField(max_length=19, unique=True)
    basic_code = fields.CharField(max_length=12, db_index=True)  # CF-00012-001, same everywhere
    name = fields.CharField(max_length=64)
    audience = fields.CharField(max_length=8)  # personal | legal
    theme_code = fields.CharField(max_length=16)
    department_code = fields.CharField(max_length=32, db_index=True)
    region_code = fields.CharField(max_length=6, db_index=True)
    online_level = fields.SmallIntField()
    # Channel capabilities the item's online path needs (payment, location, scan, nfc, face).
    needs = fields.JSONField(default=list)
    keywords = fields.JSONField(default=list)
    # 办事指南: materials, fees, time_limit_days, legal_basis, offline (where to go).
    guide = fields.JSONField(default=dict)
    # draft (never published) | active | retired: states.ITEM.
    status = fields.CharField(max_length=8, default="active")
    created_at = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)
    # The newest version's number: a new version is a compare-and-set on it (expected version).
    latest_version = fields.IntField(default=0)
    # The version residents are served (None while a draft); its content is mirrored above.
    published_version = fields.IntField(null=True)

    class Meta:
        table = "catalog_item"
        constraints = (
            CheckConstraint(
                check="online_level BETWEEN 1 AND 5", name="catalog_item_online_level_1_5"
            ),
            CheckConstraint(
                check="status IN ('draft', 'active', 'retired')",
                name="catalog_item_status_known",
            ),
        )


class ItemVersion(Model):
    """One version of the content of an item (name, audience, theme, online level, guide)
    and its review. Never deleted: the published one serves, earlier ones stay on record."""

    transitions: ClassVar[Transitions] = ITEM_VERSION

    id = fields.BigIntField(primary_key=True)
    item_id = fields.BigIntField(db_index=True)
    number = fields.IntField()
    status = fields.CharField(max_length=12)
    content = fields.JSONField()
    note = fields.TextField(null=True)
    # operator | agency:<key> | system (the seed)
    source = fields.CharField(max_length=64)
    author_id = fields.BigIntField(null=True)
    author_name = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    submitted_by = fields.BigIntField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    reviewed_by = fields.BigIntField(null=True)
    reviewer_name = fields.CharField(max_length=64, null=True)
    reviewed_at = fields.DatetimeField(null=True)
    review_note = fields.TextField(null=True)
    published_by = fields.CharField(max_length=64, null=True)
    published_at = fields.DatetimeField(null=True)

    class Meta:
        table = "catalog_item_version"
        unique_together = (("item_id", "number"),)


class ItemFeed(Model):
    """An agency that syncs the items of one department from the provincial library: a
    trusted feed publishes at once, any other lands its versions for review."""

    id = fields.BigIntField(primary_key=True)
    agency_id = fields.BigIntField(db_index=True)
    department_code = fields.CharField(max_length=32)
    trusted = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "catalog_item_feed"
        unique_together = (("agency_id", "department_code"),)


class Synonym(Model):
    """A word residents type and the official words it means (罚款 → 交通违法)."""

    id = fields.BigIntField(primary_key=True)
    term = fields.CharField(max_length=32, db_index=True)
    means = fields.CharField(max_length=32)

    class Meta:
        table = "catalog_synonym"
        unique_together = (("term", "means"),)


class SearchGram(Model):
    """The portable Chinese index: one row per (item, field, character bigram)."""

    id = fields.BigIntField(primary_key=True)
    item_id = fields.BigIntField(db_index=True)
    field = fields.CharField(max_length=8)  # name | keyword | guide
    gram = fields.CharField(max_length=32, db_index=True)

    class Meta:
        table = "catalog_search_gram"
        unique_together = (("item_id", "field", "gram"),)


class SearchLog(Model):
    """One resident search, for operators' analytics (no personal data: keyword only)."""

    id = fields.BigIntField(primary_key=True)
    keyword = fields.CharField(max_length=64, db_index=True)
    hits = fields.IntField()
    channel = fields.CharField(max_length=8, null=True)
    region_code = fields.CharField(max_length=6, null=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "catalog_search_log"


class MiniApp(Model):
    """A published entry and its release state (the versions hold the manifests)."""

    transitions: ClassVar[Transitions] = RELEASE

    id = fields.CharField(max_length=48, primary_key=True)
    department_code = fields.CharField(max_length=32, db_index=True)
    name = fields.CharField(max_length=64)
    # none -> grey -> full; any -> disabled (states.RELEASE).
    release = fields.CharField(max_length=8, default="none")
    live_version = fields.IntField(null=True)
    # The version that keeps serving outside the grey regions, and the rollback target.
    stable_version = fields.IntField(null=True)
    grey_regions = fields.JSONField(default=list)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "catalog_miniapp"
        constraints = (
            CheckConstraint(
                check="release IN ('none', 'grey', 'full', 'disabled')",
                name="catalog_miniapp_release_known",
            ),
        )


class MiniAppVersion(Model):
    """One submitted manifest and its review (states.VERSION_TRANSITIONS)."""

    transitions: ClassVar[Transitions] = VERSION

    id = fields.BigIntField(primary_key=True)
    miniapp_id = fields.CharField(max_length=48, db_index=True)
    number = fields.IntField()
    manifest = fields.JSONField()
    status = fields.CharField(max_length=12)
    submitted_by = fields.BigIntField()
    submitted_at = fields.DatetimeField()
    reviewed_by = fields.BigIntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    review_reason = fields.TextField(null=True)

    class Meta:
        table = "catalog_miniapp_version"
        unique_together = (("miniapp_id", "number"),)


class AuditEntry(Model):
    """Who did what, when, and what changed. Append-only, written with the change, and
    chained (infra.audit_chain): ``seq`` is gapless, ``mac`` is HMAC-SM3 over the content
    and ``prev_mac``. Rows written before the chain existed have no ``seq``."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    operator_id = fields.BigIntField(null=True)
    operator_name = fields.CharField(max_length=64)
    action = fields.CharField(max_length=32)
    subject_type = fields.CharField(max_length=16)
    subject_id = fields.CharField(max_length=48)
    department_code = fields.CharField(max_length=32, null=True, db_index=True)
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    reason = fields.TextField(null=True)
    seq = fields.BigIntField(null=True, unique=True)
    prev_mac = fields.CharField(max_length=64, null=True)
    mac = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "catalog_audit"

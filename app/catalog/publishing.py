"""The mini-app workflow: submit → review (by someone else) → publish → grey → everywhere,
with one-step rollback and disable. Each step checks scope, moves state through the
transition table, writes its audit row in the same transaction, then bumps the catalog
version so every worker serves the change on its next request."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from app.catalog import audit
from app.catalog.manifests import validate_manifest
from app.catalog.models import MiniApp, MiniAppVersion
from app.catalog.regions import RegionTree, load_tree
from app.catalog.scope import department_scope, require_role, sees_department, sees_regions
from app.catalog.states import move_release, move_version
from app.catalog.views import CatalogCache
from app.errors import InvalidInput, ManifestInvalid, NotFound, SelfReview, WorkflowConflict
from app.operators.auth import OperatorPrincipal
from infra import clock

AUTHORS = ("department_operator",)
REVIEWERS = ("reviewer",)


def version_dict(v: MiniAppVersion) -> dict[str, Any]:
    return {
        "miniapp_id": v.miniapp_id,
        "number": v.number,
        "status": v.status,
        "manifest": v.manifest,
        "submitted_by": v.submitted_by,
        "submitted_at": v.submitted_at.isoformat(),
        "reviewed_by": v.reviewed_by,
        "reviewed_at": v.reviewed_at.isoformat() if v.reviewed_at else None,
        "review_reason": v.review_reason,
    }


def app_dict(app: MiniApp) -> dict[str, Any]:
    return {
        "id": app.id,
        "name": app.name,
        "department": app.department_code,
        "release": app.release,
        "live_version": app.live_version,
        "stable_version": app.stable_version,
        "grey_regions": list(app.grey_regions),
    }


@dataclass
class Publishing:
    cache: CatalogCache

    async def _app_in_scope(
        self, actor: OperatorPrincipal, miniapp_id: str, tree: RegionTree
    ) -> MiniApp:
        """The mini-app, or NOT_FOUND both when it does not exist and when it is not theirs."""
        app = await MiniApp.get_or_none(id=miniapp_id)
        if app is None or not sees_department(actor, app.department_code):
            raise NotFound(f"No mini-app {miniapp_id}.")
        latest = await MiniAppVersion.filter(miniapp_id=app.id).order_by("-number").first()
        if latest and not sees_regions(actor, tree, latest.manifest["regions"]):
            raise NotFound(f"No mini-app {miniapp_id}.")
        return app

    async def _version(self, app: MiniApp, number: int) -> MiniAppVersion:
        version = await MiniAppVersion.get_or_none(miniapp_id=app.id, number=number)
        if version is None:
            raise NotFound(f"Mini-app {app.id} has no version {number}.")
        return version

    async def validate(self, actor: OperatorPrincipal, data: object) -> dict[str, Any]:
        tree = await load_tree()
        manifest = await validate_manifest(data, tree, department_scope=department_scope(actor))
        return manifest.model_dump()

    async def submit(self, actor: OperatorPrincipal, data: object) -> MiniAppVersion:
        require_role(actor, *AUTHORS)
        tree = await load_tree()
        manifest = await validate_manifest(data, tree, department_scope=department_scope(actor))
        if not sees_regions(actor, tree, manifest.regions):
            raise ManifestInvalid(
                problems=[{"field": "regions", "problem": "outside your regions"}]
            )
        now = clock.now()
        async with in_transaction() as tx:
            app = await MiniApp.get_or_none(id=manifest.id).using_db(tx)
            if app is None:
                app = await MiniApp.create(
                    id=manifest.id,
                    department_code=manifest.department,
                    name=manifest.name,
                    created_at=now,
                    updated_at=now,
                    using_db=tx,
                )
            elif app.department_code != manifest.department or not sees_department(
                actor, app.department_code
            ):
                raise ManifestInvalid(
                    problems=[{"field": "id", "problem": f"the id {manifest.id} is taken"}]
                )
            last = (
                await MiniAppVersion.filter(miniapp_id=app.id)
                .using_db(tx)
                .annotate(n=Max("number"))
                .values_list("n", flat=True)
            )
            number = (last[0] or 0) + 1 if last else 1
            version = await MiniAppVersion.create(
                miniapp_id=app.id,
                number=number,
                manifest=manifest.model_dump(),
                status="submitted",
                submitted_by=actor.id,
                submitted_at=now,
                using_db=tx,
            )
            await audit.record(
                actor,
                "submit",
                "miniapp",
                app.id,
                department=app.department_code,
                using=tx,
                after={"version": number, "manifest": manifest.model_dump()},
            )
        return version

    async def review(
        self, actor: OperatorPrincipal, miniapp_id: str, number: int, approve: bool, reason: str
    ) -> MiniAppVersion:
        require_role(actor, *REVIEWERS)
        tree = await load_tree()
        app = await self._app_in_scope(actor, miniapp_id, tree)
        version = await self._version(app, number)
        if version.submitted_by == actor.id:
            raise SelfReview()
        if not approve and not reason.strip():
            raise InvalidInput("A rejection needs a reason.", fields={"reason": "required"})
        dst = "approved" if approve else "rejected"
        async with in_transaction() as tx:
            await move_version(
                version,
                dst,
                tx,
                reviewed_by=actor.id,
                reviewed_at=clock.now(),
                review_reason=reason.strip() or None,
            )
            await audit.record(
                actor,
                "approve" if approve else "reject",
                "miniapp",
                app.id,
                department=app.department_code,
                using=tx,
                before={"version": number, "status": "submitted"},
                after={"version": number, "status": dst},
                reason=reason.strip() or None,
            )
        version.reviewed_by = actor.id
        version.review_reason = reason.strip() or None
        return version

    def _grey(self, tree: RegionTree, manifest: dict, regions: list[str] | None) -> list[str]:
        """Grey regions, each known and inside the manifest's regions; None means everywhere."""
        if regions is None:
            return []
        if not regions:
            raise InvalidInput("A grey release names at least one region.")
        for code in regions:
            if code not in tree.parents or not any(
                tree.within(code, r) for r in manifest["regions"]
            ):
                raise InvalidInput(
                    f"Region {code} is not inside the mini-app's regions.",
                    fields={"regions": code},
                )
        return sorted(set(regions))

    async def publish(
        self,
        actor: OperatorPrincipal,
        miniapp_id: str,
        number: int,
        regions: list[str] | None = None,
        reason: str | None = None,
    ) -> MiniApp:
        """Put an approved version live, to ``regions`` only (grey) or everywhere (None)."""
        require_role(actor, *AUTHORS)
        tree = await load_tree()
        app = await self._app_in_scope(actor, miniapp_id, tree)
        version = await self._version(app, number)
        grey = self._grey(tree, version.manifest, regions)
        async with self._audited(actor, "publish", app, reason) as tx:
            previous = None
            if app.live_version is not None and app.release != "disabled":
                previous = await self._version(app, app.live_version)
            await move_version(version, "live", tx)
            if previous is not None and previous.status == "live":
                await move_version(previous, "superseded", tx)
            stable = previous.number if previous is not None else app.stable_version
            await move_release(
                app,
                "grey" if grey else "full",
                tx,
                live_version=number,
                stable_version=stable,
                grey_regions=grey,
                name=version.manifest["name"],
                updated_at=clock.now(),
            )
        return app

    async def release(
        self,
        actor: OperatorPrincipal,
        miniapp_id: str,
        regions: list[str] | None,
        reason: str | None = None,
    ) -> MiniApp:
        """Widen (or change) the grey regions of the live version, or release it everywhere."""
        require_role(actor, *AUTHORS)
        tree = await load_tree()
        app = await self._app_in_scope(actor, miniapp_id, tree)
        if app.live_version is None:
            raise WorkflowConflict("Nothing is published yet; publish an approved version.")
        version = await self._version(app, app.live_version)
        grey = self._grey(tree, version.manifest, regions)
        async with self._audited(actor, "release", app, reason) as tx:
            await move_release(
                app, "grey" if grey else "full", tx, grey_regions=grey, updated_at=clock.now()
            )
        return app

    async def rollback(
        self, actor: OperatorPrincipal, miniapp_id: str, reason: str | None = None
    ) -> MiniApp:
        """One step back: the live version is withdrawn and the stable one serves everywhere."""
        require_role(actor, *AUTHORS)
        tree = await load_tree()
        app = await self._app_in_scope(actor, miniapp_id, tree)
        if app.live_version is None or app.stable_version is None or app.release == "disabled":
            raise WorkflowConflict(
                "There is no earlier version to roll back to; disable the mini-app instead."
            )
        live = await self._version(app, app.live_version)
        stable = await self._version(app, app.stable_version)
        older = (
            await MiniAppVersion.filter(
                miniapp_id=app.id, status="superseded", number__lt=stable.number
            )
            .order_by("-number")
            .first()
        )
        async with self._audited(actor, "rollback", app, reason) as tx:
            await move_version(live, "rolled_back", tx)
            await move_version(stable, "live", tx)
            await move_release(
                app,
                "full",
                tx,
                live_version=stable.number,
                stable_version=older.number if older else None,
                grey_regions=[],
                name=stable.manifest["name"],
                updated_at=clock.now(),
            )
        return app

    async def disable(self, actor: OperatorPrincipal, miniapp_id: str, reason: str) -> MiniApp:
        require_role(actor, *AUTHORS)
        tree = await load_tree()
        app = await self._app_in_scope(actor, miniapp_id, tree)
        async with self._audited(actor, "disable", app, reason=reason or None) as tx:
            await move_release(app, "disabled", tx, updated_at=clock.now())
        return app

    def _audited(
        self, actor: OperatorPrincipal, action: str, app: MiniApp, reason: str | None = None
    ) -> AbstractAsyncContextManager[BaseDBAsyncClient]:
        """A release-state change of ``app``: audited with it, the catalog cache bumped after."""
        return audit.audited(
            actor,
            action,
            "miniapp",
            app.id,
            department=app.department_code,
            snapshot=lambda: app_dict(app),
            reason=reason,
            after_commit=self.cache.bump,
        )

    async def get(self, actor: OperatorPrincipal, miniapp_id: str) -> dict[str, Any]:
        tree = await load_tree()
        app = await self._app_in_scope(actor, miniapp_id, tree)
        versions = await MiniAppVersion.filter(miniapp_id=app.id).order_by("-number")
        return {**app_dict(app), "versions": [version_dict(v) for v in versions]}

    async def list(self, actor: OperatorPrincipal) -> list[dict[str, Any]]:
        tree = await load_tree()
        query = MiniApp.all().order_by("id")
        if not actor.is_admin:
            query = query.filter(department_code__in=list(actor.departments))
        out = []
        for app in await query:
            latest = await MiniAppVersion.filter(miniapp_id=app.id).order_by("-number").first()
            if latest and not sees_regions(actor, tree, latest.manifest["regions"]):
                continue
            row = app_dict(app)
            row["latest"] = version_dict(latest) if latest else None
            out.append(row)
        return out

    async def pending_reviews(self, actor: OperatorPrincipal) -> list[dict[str, Any]]:
        tree = await load_tree()
        out = []
        for version in await MiniAppVersion.filter(status="submitted").order_by("submitted_at"):
            app = await MiniApp.get(id=version.miniapp_id)
            if sees_department(actor, app.department_code) and sees_regions(
                actor, tree, version.manifest["regions"]
            ):
                out.append(version_dict(version))
        return out

"""Roles and scopes: an operator never sees or changes another department's items or
mini-apps, even with guessed ids; what is out of scope looks exactly like what does not exist."""

from __future__ import annotations

import pytest

from app.catalog import items as catalog_items
from app.catalog.models import AuditEntry, MiniApp, MiniAppVersion, ServiceItem
from app.catalog.service import Catalog
from app.errors import Forbidden, ManifestInvalid, NotFound
from app.operators.auth import OperatorPrincipal
from tests.catalog.conftest import manifest

pytestmark = pytest.mark.usefixtures("clean")
People = dict[str, OperatorPrincipal]


async def published_clinic_app(catalog: Catalog, people: People) -> None:
    version = await catalog.publishing.submit(people["author"], manifest())
    await catalog.publishing.review(people["reviewer"], version.miniapp_id, 1, True, "")
    await catalog.publishing.publish(people["author"], version.miniapp_id, 1)


async def test_another_department_cannot_see_or_touch_a_mini_app_by_guessed_id(
    catalog: Catalog, people: People
) -> None:
    await published_clinic_app(catalog, people)
    pub = catalog.publishing
    before = (await MiniApp.get(id="hz-clinic-booking")).release
    audit_rows = await AuditEntry.all().count()
    for intruder in ("traffic", "ningbo"):
        actor = people[intruder]
        assert await pub.list(actor) == []
        assert await pub.pending_reviews(actor) == []
        for guess in ("hz-clinic-booking", "hz-clinic-booking ", "nonexistent-app"):
            with pytest.raises(NotFound) as caught:
                await pub.get(actor, guess)
            assert caught.value.message == f"No mini-app {guess}."
        for step in (
            pub.disable(actor, "hz-clinic-booking", "sabotage"),
            pub.rollback(actor, "hz-clinic-booking"),
            pub.release(actor, "hz-clinic-booking", ["330106"]),
            pub.publish(actor, "hz-clinic-booking", 1),
        ):
            with pytest.raises(NotFound):
                await step
    # A reviewer of another department cannot review it either.
    await pub.submit(people["author"], manifest(name="杭州预约挂号 v2"))
    with pytest.raises(NotFound):
        await pub.review(people["ningbo_rev"], "hz-clinic-booking", 2, True, "")
    assert (await MiniAppVersion.get(miniapp_id="hz-clinic-booking", number=2)).status == (
        "submitted"
    )
    assert (await MiniApp.get(id="hz-clinic-booking")).release == before
    assert await AuditEntry.all().count() == audit_rows + 1  # only the author's submit


async def test_an_operator_cannot_submit_for_another_department_or_hijack_an_id(
    catalog: Catalog, people: People
) -> None:
    await published_clinic_app(catalog, people)
    traffic = people["traffic"]
    # Their own department's items only: the health items are "unknown" to them.
    with pytest.raises(ManifestInvalid) as caught:
        await catalog.publishing.submit(traffic, manifest(department="hz-jj"))
    fields = {p["field"] for p in caught.value.details["problems"]}
    assert fields == {"items[0]", "items[1]"}
    with pytest.raises(ManifestInvalid) as caught:
        await catalog.publishing.submit(traffic, manifest())
    assert "department" in {p["field"] for p in caught.value.details["problems"]}
    # Reusing another department's mini-app id with their own items.
    hijack = manifest(department="hz-jj", items=["CF-330100-00012-002"])
    with pytest.raises(ManifestInvalid) as caught:
        await catalog.publishing.submit(traffic, hijack)
    assert caught.value.details["problems"] == [
        {"field": "id", "problem": "the id hz-clinic-booking is taken"}
    ]
    assert await MiniAppVersion.filter(miniapp_id="hz-clinic-booking").count() == 1


async def test_region_scope_keeps_an_operator_inside_their_regions(
    catalog: Catalog, people: People
) -> None:
    from tests.catalog.conftest import make_operator

    west_lake_only = await make_operator(
        "hz-health-xh", "department_operator", ["hz-wjw"], ["330106"]
    )
    with pytest.raises(ManifestInvalid):
        await catalog.publishing.submit(west_lake_only, manifest())  # regions 330100
    version = await catalog.publishing.submit(west_lake_only, manifest(regions=["330106"]))
    assert version.number == 1
    with pytest.raises(NotFound):  # a city-wide item is above their region
        await catalog_items.item_in_scope(west_lake_only, "GG-330100-00101-001")


async def test_items_are_scoped_to_the_department_and_guessing_codes_reveals_nothing(
    people: People,
) -> None:
    traffic = people["traffic"]
    codes = {i.code for i in await catalog_items.items_in_scope(traffic)}
    assert codes == {"CF-330100-00012-001", "CF-330100-00012-002", "XK-330100-00013-001"}
    for guess in ("GG-330100-00101-001", "CF-330200-00012-001", "GG-330100-99999-001"):
        with pytest.raises(NotFound) as caught:
            await catalog_items.item_in_scope(traffic, guess)
        assert caught.value.message == f"No service item {guess}."
    with pytest.raises(NotFound):
        await catalog_items.retire_item(traffic, "GG-330100-00101-001", "not mine")
    assert (await ServiceItem.get(code="GG-330100-00101-001")).status == "active"
    admin_codes = {i.code for i in await catalog_items.items_in_scope(people["admin"])}
    assert len(admin_codes) == await ServiceItem.all().count()


async def test_reviewers_cannot_author_or_publish(catalog: Catalog, people: People) -> None:
    with pytest.raises(Forbidden):
        await catalog.publishing.submit(people["reviewer"], manifest())
    version = await catalog.publishing.submit(people["author"], manifest())
    await catalog.publishing.review(people["reviewer"], version.miniapp_id, 1, True, "")
    with pytest.raises(Forbidden):
        await catalog.publishing.publish(people["reviewer"], version.miniapp_id, 1)
    assert (await MiniApp.get(id=version.miniapp_id)).release == "none"

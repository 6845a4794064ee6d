"""The demo's legal person, pushed through the registry's own upsert (idempotent).

Its legal representative is a demo resident; the demo data set (app/runtime/demo.py) says which.
"""

from __future__ import annotations

from app.agency.models import Agency
from app.identity.legal.registry import REGISTRY_KIND, LegalRegistry
from infra.pii import PiiVault

DEMO_USCC = "91330102MA27UY3K6Q"
DEMO_NAME = "杭州夕阳红养老服务有限公司"


async def seed(vault: PiiVault, representative: tuple[str, str]) -> None:
    """``representative`` is (name, ID number) of a demo resident."""
    registry = await Agency.filter(kind=REGISTRY_KIND, active=True).order_by("id").first()
    if registry is None:
        raise RuntimeError("the demo needs a market-regulation registry agency first")
    name, id_number = representative
    record = {
        "uscc": DEMO_USCC,
        "name": DEMO_NAME,
        "representative": {"name": name, "id_number": id_number},
    }
    outcome = await LegalRegistry(vault).upsert(registry, [record])
    if outcome.rejected:
        raise RuntimeError(f"the demo legal person was refused: {outcome.as_dict()}")

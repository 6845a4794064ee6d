"""The demo data set, loaded by ``yiwang serve --demo`` (idempotent: safe on every start).

What it holds is documented in README.md ("The demo data set"). Agency keys and secrets
are written once to ``var/demo-agencies.json`` so a person can sign agency requests.
"""

from __future__ import annotations

import json

from app.agency.models import Agency
from app.agency.signing import create_agency
from app.appointments.demo import seed as seed_appointments_demo
from app.bundles.demo import seed as seed_bundles_demo
from app.cases.demo import seed as seed_cases_demo
from app.catalog.demo import seed as seed_catalog_demo
from app.config import Settings
from app.fees.demo import seed as seed_fees_demo
from app.identity.legal.demo import seed as seed_legal_persons_demo
from app.interactions.demo import seed as seed_interactions_demo
from app.violations.demo import seed as seed_violations_demo
from channels.sandbox.config import DEMO_PEOPLE

DEMO_AGENCIES = (
    ("杭州市公安局交通警察支队", "traffic", "330100"),
    ("浙江省教育考试院", "fees", "330000"),
    ("杭州市第一人民医院", "health", "330100"),
    ("浙江省市场监督管理局", "market", "330000"),
)


async def seed(settings: Settings) -> None:
    await seed_catalog_demo(settings.var_dir)
    vault = settings.vault()
    path = settings.var_dir / "demo-agencies.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    for name, kind, region in DEMO_AGENCIES:
        if not (name in known and await Agency.exists(key=known[name]["key"])):
            agency, secret = await create_agency(vault, name=name, kind=kind, region_code=region)
            known[name] = {"key": agency.key, "secret": secret, "kind": kind}
        # The sandbox stands in for each agency's own system and records our webhooks.
        inbox = f"{settings.sandbox_url}/sandbox/agency-webhooks/{known[name]['key']}"
        await Agency.filter(key=known[name]["key"]).update(webhook_url=inbox)
        known[name]["webhook_inbox"] = inbox
    path.write_text(json.dumps(known, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    await seed_appointments_demo(vault, settings.var_dir)
    await seed_violations_demo(vault)
    people = [(p.name, p.id_number) for p in DEMO_PEOPLE]
    await seed_fees_demo(vault, settings.var_dir, people)
    await seed_cases_demo(vault, settings.var_dir)
    await seed_interactions_demo()
    await seed_legal_persons_demo(vault, people[1])  # 李四 represents the demo company
    await seed_bundles_demo(vault, settings.var_dir)

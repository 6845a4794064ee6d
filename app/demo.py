"""The demo data set, loaded by ``yiwang serve --demo`` (idempotent: safe on every start).

What it holds is documented in README.md ("The demo data set"). Agency keys and secrets
are written once to ``var/demo-agencies.json`` so a person can sign agency requests.
"""

from __future__ import annotations

import json

from app.agency.models import Agency
from app.agency.signing import create_agency
from app.config import Settings
from infra.pii import PiiVault

DEMO_AGENCIES = (
    ("杭州市公安局交通警察支队", "traffic", "330100"),
    ("浙江省教育考试院", "fees", "330000"),
    ("杭州市第一人民医院", "health", "330100"),
)


async def seed(settings: Settings) -> None:
    vault = PiiVault(settings.pii_key, settings.pii_hash_key)
    path = settings.var_dir / "demo-agencies.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    for name, kind, region in DEMO_AGENCIES:
        if name in known and await Agency.exists(key=known[name]["key"]):
            continue
        agency, secret = await create_agency(vault, name=name, kind=kind, region_code=region)
        known[name] = {"key": agency.key, "secret": secret, "kind": kind}
    path.write_text(json.dumps(known, ensure_ascii=False, indent=2))
    path.chmod(0o600)

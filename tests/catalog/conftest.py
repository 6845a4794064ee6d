"""Catalog fixtures: seeded reference data and items, operators of several departments."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import redis.asyncio as aioredis

from app.catalog.demo import seed_catalog
from app.catalog.service import Catalog
from app.operators.auth import OperatorPrincipal, create_operator, principal_of

PASSWORD = "correct horse battery staple"

# A hospital-booking mini-app of the Hangzhou health commission, valid as it stands.
MANIFEST: dict[str, Any] = {
    "id": "hz-clinic-booking",
    "name": "杭州预约挂号",
    "icon": "https://static.example.gov.cn/icons/clinic.png",
    "department": "hz-wjw",
    "entry": {"type": "native", "page": "pages/clinic/index"},
    "items": ["GG-330100-00101-001", "GG-330100-00102-001"],
    "regions": ["330100"],
    "channels": ["app", "wechat", "alipay"],
    "verification": "verified",
    "capabilities": ["payment", "location"],
}


# A guide that passes every check (a one-visit item of online level 3).
GUIDE: dict[str, Any] = {
    "conditions": ["申请人为杭州市户籍居民"],
    "materials": [
        {
            "name": "居民身份证",
            "required": True,
            "copies": 1,
            "form": "original",
            "licence_type": "id_card",
        },
        {"name": "近期免冠照片", "required": False, "copies": 2, "form": "original"},
    ],
    "fees": [],
    "legal_time_limit_days": 20,
    "promised_time_limit_days": 5,
    "legal_basis": ["《浙江省测试条例》第三条"],
    "places": [
        {
            "name": "杭州市民中心",
            "address": "杭州市上城区解放东路18号",
            "hours": "工作日 9:00-17:00",
            "phone": "0571-12345",
        }
    ],
    "visits": 1,
    "contact": "12345",
}


def guide(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GUIDE)
    data.update(changes)
    return data


def item_body(code: str = "GG-330100-00777-001", **changes: Any) -> dict[str, Any]:
    """What an operator POSTs to create an item of the Hangzhou health commission."""
    body: dict[str, Any] = {
        "code": code,
        "name": "测试健康证明开具",
        "department": "hz-wjw",
        "region": code.split("-")[1],
        "audience": "personal",
        "theme": "jiuyi",
        "online_level": 3,
        "keywords": ["健康证明"],
        "guide": guide(),
    }
    body.update(changes)
    return body


def manifest(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(MANIFEST)
    data.update(changes)
    return data


@pytest.fixture
async def seeded(clean: None) -> int:
    return await seed_catalog()


@pytest.fixture
async def catalog(redis: aioredis.Redis, seeded: int) -> Catalog:
    return Catalog(redis, {})


async def make_operator(
    username: str, role: str, departments: list[str], regions: list[str] | None = None
) -> OperatorPrincipal:
    op = await create_operator(
        username=username,
        password=PASSWORD,
        role=role,
        departments=departments,
        regions=regions or [],
    )
    return principal_of(op)


@pytest.fixture
async def people(seeded: int) -> dict[str, OperatorPrincipal]:
    """Hangzhou health (author + reviewer), Hangzhou traffic, Ningbo health, and an admin."""
    return {
        "author": await make_operator("hz-health", "department_operator", ["hz-wjw"], ["330100"]),
        "reviewer": await make_operator("hz-health-rev", "reviewer", ["hz-wjw"], ["330100"]),
        "traffic": await make_operator("hz-traffic", "department_operator", ["hz-jj"], ["330100"]),
        "ningbo": await make_operator("nb-health", "department_operator", ["nb-wjw"], ["330200"]),
        "ningbo_rev": await make_operator("nb-health-rev", "reviewer", ["nb-wjw"], ["330200"]),
        "admin": await make_operator("root", "platform_admin", []),
    }

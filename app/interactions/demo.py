"""The demo's 12345 categories, each routed to a demo department."""

from __future__ import annotations

from app.interactions.models import Category

CATEGORIES = (
    ("road", "道路设施", "路灯、井盖、道路破损", "城市管理", "hz-jj"),
    ("noise", "噪声扰民", "施工、娱乐场所噪声", "环境", "hz-mzj"),
    ("service", "政务服务", "办事咨询与投诉", "政务", "hz-mzj"),
)


async def seed() -> None:
    for c_code, c_name, desc, group, dept in CATEGORIES:
        await Category.update_or_create(
            code=c_code,
            defaults={"name": c_name, "description": desc, "group": group,
                      "keywords": "", "department_code": dept},
        )

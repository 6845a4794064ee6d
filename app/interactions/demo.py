"""The demo's 12345 categories, each routed to a demo department, and its Open311 service
definition: the 道路设施 (road) category asks which lamp or cover it is, so
``GET /open311/v2/services/road.json`` shows typed attributes and a client has something to
answer. Idempotent: defining the same attributes again changes nothing."""

from __future__ import annotations

from app.interactions.definitions import define_attributes
from app.interactions.models import Category

CATEGORIES = (
    ("road", "道路设施", "路灯、井盖、道路破损", "城市管理", "hz-jj"),
    ("noise", "噪声扰民", "施工、娱乐场所噪声", "环境", "hz-mzj"),
    ("service", "政务服务", "办事咨询与投诉", "政务", "hz-mzj"),
)

ROAD_ATTRIBUTES = [
    {"code": "FACILITY", "datatype": "singlevaluelist", "description": "哪类设施", "required": True,
     "values": [{"key": "lamp", "name": "路灯"}, {"key": "cover", "name": "井盖"},
                {"key": "road", "name": "路面"}]},
    {"code": "LAMP_NO", "datatype": "string", "description": "灯杆编号（路灯才有）",
     "datatype_description": "灯杆铭牌上的编号，如 HZ-0571"},
    {"code": "SEEN_AT", "datatype": "datetime", "description": "发现时间"},
    {"code": "SAFETY", "datatype": "string", "variable": False,
     "description": "如有触电或坠落危险，请远离现场并拨打 110。"},
]  # fmt: skip


async def seed_categories() -> None:
    for c_code, c_name, desc, group, dept in CATEGORIES:
        await Category.update_or_create(
            code=c_code,
            defaults={"name": c_name, "description": desc, "group": group,
                      "keywords": "", "department_code": dept},
        )  # fmt: skip


async def seed() -> None:
    await seed_categories()
    await define_attributes(None, "road", ROAD_ATTRIBUTES, reason="演示数据")

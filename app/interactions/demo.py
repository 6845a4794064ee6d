"""The demo's Open311 service definition: the 道路设施 (road) category asks which lamp or
cover it is, so ``GET /open311/v2/services/road.json`` shows typed attributes and a client
has something to answer. Idempotent: defining the same attributes again changes nothing."""

from __future__ import annotations

from app.interactions.definitions import define_attributes

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


async def seed() -> None:
    await define_attributes(None, "road", ROAD_ATTRIBUTES, reason="演示数据")

"""Demo data of cases and 12345: an item for residents and one for legal persons, applied for
online, their forms, an agency that works its department's cases, 12345 categories, and this
year's holidays (idempotent).

The case agency's key and secret are written to ``var/demo-case-agency.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.agency.models import Agency
from app.agency.signing import create_agency
from app.cases.setup import bind_desk, define_form
from app.catalog.items import create_item
from app.catalog.models import Department, ServiceItem
from app.supervision.arrangements import load_shipped
from infra.pii import PiiVault

DEPARTMENT = ("hz-mzj", "杭州市民政局", "330100")
ITEM_CODE = "JF-330100-00111-001"
FIELDS = [
    {"name": "applicant_phone", "label": "联系电话", "type": "phone", "required": True},
    {"name": "birth_date", "label": "出生日期", "type": "date", "required": True},
    {"name": "bank", "label": "收款银行", "type": "choice",
     "choices": ["农业银行", "工商银行", "杭州银行"], "required": True},
    {"name": "address", "label": "居住地址", "type": "text", "max_length": 100,
     "required": True},
]
MATERIALS = [
    {"name": "身份证", "required": True},
    {"name": "银行卡", "required": False},
]
# Applied for on behalf of a legal person (audience legal): its representative or an agent.
LEGAL_ITEM_CODE = "QT-330100-00112-001"
LEGAL_FIELDS = [
    {"name": "address", "label": "服务场所地址", "type": "text", "max_length": 100,
     "required": True},
    {"name": "beds", "label": "床位数", "type": "integer", "min": 1, "max": 5000,
     "required": True},
    {"name": "contact_phone", "label": "联系电话", "type": "phone", "required": True},
]
LEGAL_MATERIALS = [
    {"name": "营业执照", "required": True},
    {"name": "消防验收意见", "required": False},
]

# The guides (一次告知) list every material the forms require, as the catalog checks.
_HALL = {"name": "杭州市各区民政局服务窗口", "address": "各区民政局（地址可在‘浙里办’查询）",
         "hours": "工作日 9:00-12:00 13:30-17:00", "phone": "12345"}
ALLOWANCE_GUIDE = {
    "conditions": ["具有杭州市户籍、年满80周岁的老年人", "本人或其委托的家属提出申请"],
    "materials": [
        {"name": "身份证", "required": True, "copies": 1, "form": "original",
         "licence_type": "id_card"},
        {"name": "银行卡", "required": False, "copies": 1, "form": "copy",
         "note": "本人社会保障卡金融账户或银行卡，用于发放津贴"},
    ],
    "fees": [], "legal_time_limit_days": 20, "promised_time_limit_days": 10,
    "legal_basis": ["《浙江省实施〈中华人民共和国老年人权益保障法〉办法》"],
    "places": [_HALL], "visits": 0, "contact": "12345",
}
CARE_HOME_GUIDE = {
    "conditions": ["依法登记的养老机构", "服务场所符合消防、卫生和建筑安全要求"],
    "materials": [
        {"name": "营业执照", "required": True, "copies": 1, "form": "electronic",
         "licence_type": "business_licence", "note": "或事业单位、社会服务机构登记证书"},
        {"name": "消防验收意见", "required": False, "copies": 1, "form": "copy"},
    ],
    "fees": [], "legal_time_limit_days": 5, "promised_time_limit_days": 3,
    "legal_basis": ["《养老机构管理办法》第九条"],
    "places": [_HALL], "visits": 0, "contact": "12345",
}


async def seed(vault: PiiVault, var_dir: Path) -> None:
    code, name, region = DEPARTMENT
    await Department.get_or_create(code=code, defaults={"name": name, "region_code": region})
    if not await ServiceItem.exists(code=ITEM_CODE):
        await create_item(
            None, code=ITEM_CODE, name="高龄津贴申领", audience="personal", theme="youdai",
            department=code, online_level=4,
            guide=ALLOWANCE_GUIDE,
            keywords=["高龄", "津贴", "老人"],
        )
    await define_form(ITEM_CODE, FIELDS, MATERIALS)
    if not await ServiceItem.exists(code=LEGAL_ITEM_CODE):
        await create_item(
            None, code=LEGAL_ITEM_CODE, name="养老机构备案", audience="legal", theme="youdai",
            department=code, online_level=4,
            guide=CARE_HOME_GUIDE,
            keywords=["养老机构", "备案", "养老院"],
        )
    await define_form(LEGAL_ITEM_CODE, LEGAL_FIELDS, LEGAL_MATERIALS)
    path = var_dir / "demo-case-agency.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    if not (known and await Agency.exists(key=known["key"])):
        agency, secret = await create_agency(vault, name=name, kind="fees", region_code=region)
        known = {"key": agency.key, "secret": secret, "department_code": code,
                 "item_code": ITEM_CODE}
        path.write_text(json.dumps(known, ensure_ascii=False, indent=2))
        path.chmod(0o600)
    await bind_desk(known["key"], code)
    # The published holiday arrangements this release ships (2025, 2026).
    await load_shipped(reason="demo seed")

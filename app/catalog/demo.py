"""Seed data: the 16 provincial themes, a Zhejiang region tree, departments, a realistic set of
service items (挂号, 违章/罚款, 学费/考试费, 社保, ...) and search synonyms.

Idempotent: reference rows are upserted and items created only when their code is absent,
so ``yiwang serve --demo`` can run it on every start and tests can call it after ``clean``.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from app.catalog.items import create_item
from app.catalog.models import Department, Region, ServiceItem, Synonym, Theme
from app.identity.operator_models import Operator
from app.identity.operators import create_operator

# 个人办事 themes of the provincial catalog, in display order.
THEMES: tuple[tuple[str, str], ...] = (
    ("hunyu", "婚育收养"),
    ("huji", "户籍办理"),
    ("jiaoyu", "教育培训"),
    ("qiuzhi", "求职执业"),
    ("shebao", "社会保障"),
    ("nashui", "纳税缴费"),
    ("jiuyi", "就医保健"),
    ("jiaotong", "交通出行"),
    ("zhufang", "住房保障"),
    ("zhengjian", "证件办理"),
    ("churujing", "出境入境"),
    ("sifa", "司法公证"),
    ("anquan", "公共安全"),
    ("youdai", "优待抚恤"),
    ("binzang", "死亡殡葬"),
    ("wenti", "文化体育"),
)

# (code, name, parent): the province, its cities, and some counties.
REGIONS: tuple[tuple[str, str, str | None], ...] = (
    ("330000", "浙江省", None),
    ("330100", "杭州市", "330000"),
    ("330102", "上城区", "330100"),
    ("330105", "拱墅区", "330100"),
    ("330106", "西湖区", "330100"),
    ("330108", "滨江区", "330100"),
    ("330110", "余杭区", "330100"),
    ("330200", "宁波市", "330000"),
    ("330203", "海曙区", "330200"),
    ("330212", "鄞州区", "330200"),
    ("330300", "温州市", "330000"),
    ("330302", "鹿城区", "330300"),
    ("330400", "嘉兴市", "330000"),
    ("330600", "绍兴市", "330000"),
    ("330700", "金华市", "330000"),
)

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("zj-gat", "浙江省公安厅", "330000"),
    ("zj-jks", "浙江省教育考试院", "330000"),
    ("zj-rst", "浙江省人力资源和社会保障厅", "330000"),
    ("zj-tax", "国家税务总局浙江省税务局", "330000"),
    ("hz-jj", "杭州市公安局交通警察支队", "330100"),
    ("hz-edu", "杭州市教育局", "330100"),
    ("hz-rsj", "杭州市人力资源和社会保障局", "330100"),
    ("hz-wjw", "杭州市卫生健康委员会", "330100"),
    ("hz-ybj", "杭州市医疗保障局", "330100"),
    ("hz-mzj", "杭州市民政局", "330100"),
    ("nb-jj", "宁波市公安局交通警察支队", "330200"),
    ("nb-wjw", "宁波市卫生健康委员会", "330200"),
)

SYNONYMS: tuple[tuple[str, str], ...] = (
    ("罚款", "交通违法"),
    ("罚单", "交通违法"),
    ("违章", "交通违法"),
    ("社保", "社会保险"),
    ("学费", "学杂费"),
    ("学费", "教育收费"),
    ("挂号", "预约挂号"),
    ("挂号", "门诊预约"),
    ("看病", "就医"),
    ("医保", "医疗保障"),
    ("个税", "个人所得税"),
    ("驾照", "驾驶证"),
    ("身份证", "居民身份证"),
)


def _guide(materials: list[str], fee: str, days: int, basis: str, offline: str) -> dict[str, Any]:
    return {
        "materials": materials,
        "fees": fee,
        "time_limit_days": days,
        "legal_basis": basis,
        "offline": offline,
    }


# code, name, audience, theme, department, online level, needs, keywords, guide
ITEMS: tuple[tuple[Any, ...], ...] = (
    (
        "GG-330100-00101-001",
        "门诊预约挂号（杭州市属医院）",
        "personal",
        "jiuyi",
        "hz-wjw",
        5,
        [],
        ["挂号", "看病", "专家号", "门诊"],
        _guide(
            ["居民身份证或医保卡"],
            "按医院挂号费标准",
            0,
            "《医疗机构管理条例》",
            "各市属医院门诊挂号窗口",
        ),
    ),
    (
        "GG-330200-00101-001",
        "门诊预约挂号（宁波市属医院）",
        "personal",
        "jiuyi",
        "nb-wjw",
        5,
        [],
        ["挂号", "看病", "门诊"],
        _guide(
            ["居民身份证或医保卡"],
            "按医院挂号费标准",
            0,
            "《医疗机构管理条例》",
            "各市属医院门诊挂号窗口",
        ),
    ),
    (
        "GG-330100-00102-001",
        "检查检验报告查询",
        "personal",
        "jiuyi",
        "hz-wjw",
        5,
        [],
        ["报告", "化验单"],
        _guide(["就诊卡号"], "免费", 0, "《医疗机构病历管理规定》", "医院自助机"),
    ),
    (
        "CF-330100-00012-001",
        "机动车交通违法处理（电子监控记录）",
        "personal",
        "jiaotong",
        "hz-jj",
        5,
        ["payment"],
        ["违章处理", "电子警察", "非现场违法"],
        _guide(
            ["机动车行驶证", "机动车驾驶证"],
            "按决定书罚款金额",
            15,
            "《中华人民共和国道路交通安全法》第一百一十四条",
            "各交警大队违法处理窗口",
        ),
    ),
    (
        "CF-330100-00012-002",
        "交通违法罚款缴纳",
        "personal",
        "jiaotong",
        "hz-jj",
        5,
        ["payment"],
        ["违章缴款", "交通罚款", "罚单", "滞纳金"],
        _guide(
            ["处罚决定书编号"],
            "罚款金额；逾期每日加处 3%",
            15,
            "《中华人民共和国行政处罚法》第七十二条",
            "代收银行网点",
        ),
    ),
    (
        "CF-330200-00012-001",
        "机动车交通违法处理（电子监控记录）",
        "personal",
        "jiaotong",
        "nb-jj",
        5,
        ["payment"],
        ["违章处理", "电子警察"],
        _guide(
            ["机动车行驶证", "机动车驾驶证"],
            "按决定书罚款金额",
            15,
            "《中华人民共和国道路交通安全法》第一百一十四条",
            "宁波各交警大队",
        ),
    ),
    (
        "XK-330100-00013-001",
        "机动车临时通行牌证核发",
        "personal",
        "jiaotong",
        "hz-jj",
        3,
        [],
        ["临牌", "临时号牌"],
        _guide(
            ["机动车来历证明", "交通事故责任强制保险凭证"],
            "免费",
            1,
            "《机动车登记规定》",
            "车管所业务大厅",
        ),
    ),
    (
        "ZS-330000-00031-001",
        "普通高校招生考试报名考试费缴纳",
        "personal",
        "jiaoyu",
        "zj-jks",
        5,
        ["payment"],
        ["高考报名费", "考试费", "高考"],
        _guide(
            ["报名号"],
            "按省物价部门核定标准",
            0,
            "浙价费〔2019〕号文",
            "各县（市、区）招生考试机构",
        ),
    ),
    (
        "ZS-330000-00032-001",
        "高等教育自学考试报考费缴纳",
        "personal",
        "jiaoyu",
        "zj-jks",
        5,
        ["payment"],
        ["自考", "考试费", "报考费"],
        _guide(
            ["准考证号"],
            "每科次按核定标准",
            0,
            "《高等教育自学考试暂行条例》",
            "市县自学考试办公室",
        ),
    ),
    (
        "ZS-330100-00041-001",
        "公办中小学学杂费缴纳",
        "personal",
        "jiaoyu",
        "hz-edu",
        5,
        ["payment"],
        ["学杂费", "保育费", "住宿费", "教育收费"],
        _guide(["学生学籍号"], "按核定收费标准", 0, "《中小学收费管理办法》", "学校财务室"),
    ),
    (
        "GG-330000-00051-001",
        "社会保险个人参保证明查询打印",
        "personal",
        "shebao",
        "zj-rst",
        5,
        [],
        ["参保证明", "缴费记录", "养老保险"],
        _guide(["居民身份证"], "免费", 0, "《中华人民共和国社会保险法》", "各地社会保险经办机构"),
    ),
    (
        "ZS-330100-00052-001",
        "灵活就业人员社会保险费缴纳",
        "personal",
        "shebao",
        "hz-rsj",
        5,
        ["payment"],
        ["养老保险", "灵活就业", "个体参保"],
        _guide(
            ["居民身份证", "银行卡"],
            "按缴费基数和比例",
            0,
            "《中华人民共和国社会保险法》",
            "杭州市社会保险经办窗口",
        ),
    ),
    (
        "QR-330000-00053-001",
        "电子社会保障卡申领",
        "personal",
        "shebao",
        "zj-rst",
        5,
        ["face"],
        ["电子社保卡", "社保卡"],
        _guide(["实体社保卡"], "免费", 0, "《社会保障卡管理办法》", "社保卡服务网点"),
    ),
    (
        "QR-330000-00022-001",
        "居民身份证电子证照申领（NFC 核验）",
        "personal",
        "zhengjian",
        "zj-gat",
        5,
        ["nfc", "face"],
        ["电子身份证", "网证"],
        _guide(
            ["具备 NFC 功能的手机", "居民身份证"],
            "免费",
            0,
            "《中华人民共和国居民身份证法》",
            "户籍派出所",
        ),
    ),
    (
        "QR-330000-00021-001",
        "户口迁移（省内）",
        "personal",
        "huji",
        "zj-gat",
        4,
        ["face"],
        ["迁户口", "落户"],
        _guide(
            ["居民户口簿", "居民身份证", "迁入地住所证明"],
            "免费",
            10,
            "《中华人民共和国户口登记条例》",
            "迁入地派出所户籍窗口",
        ),
    ),
    (
        "XK-330000-00061-001",
        "往来港澳通行证再次签注",
        "personal",
        "churujing",
        "zj-gat",
        5,
        ["face", "payment"],
        ["港澳签注", "通行证"],
        _guide(
            ["往来港澳通行证"],
            "每次签注 15 元",
            7,
            "《中国公民因私事往来香港地区或者澳门地区的暂行管理办法》",
            "出入境管理窗口",
        ),
    ),
    (
        "QR-330100-00071-001",
        "结婚登记预约",
        "personal",
        "hunyu",
        "hz-mzj",
        2,
        [],
        ["结婚", "领证"],
        _guide(
            ["居民户口簿", "居民身份证", "近期半身免冠合影照片"],
            "免费",
            0,
            "《婚姻登记条例》",
            "各区婚姻登记处",
        ),
    ),
    (
        "GG-330100-00081-001",
        "基本医疗保险参保信息查询",
        "personal",
        "shebao",
        "hz-ybj",
        5,
        [],
        ["医保查询", "医疗保险"],
        _guide(["居民身份证"], "免费", 0, "《医疗保障基金使用监督管理条例》", "医保服务窗口"),
    ),
    (
        "QT-330000-00091-001",
        "个人所得税综合所得年度汇算",
        "personal",
        "nashui",
        "zj-tax",
        5,
        ["payment"],
        ["个税", "退税", "汇算清缴"],
        _guide(["居民身份证"], "按应补税额", 0, "《中华人民共和国个人所得税法》", "办税服务厅"),
    ),
)


async def seed_reference() -> None:
    for position, (code, name) in enumerate(THEMES, start=1):
        await Theme.update_or_create(code=code, defaults={"name": name, "position": position})
    for code, name, parent in REGIONS:
        level = "province" if parent is None else ("city" if code.endswith("00") else "county")
        await Region.update_or_create(
            code=code, defaults={"name": name, "parent_code": parent, "level": level}
        )
    for code, name, region in DEPARTMENTS:
        await Department.update_or_create(code=code, defaults={"name": name, "region_code": region})
    for term, means in SYNONYMS:
        await Synonym.get_or_create(term=term, means=means)


async def seed_catalog() -> int:
    """Reference data and items; returns how many items were created."""
    await seed_reference()
    created = 0
    existing = set(await ServiceItem.all().values_list("code", flat=True))
    for code, name, audience, theme, dept, level, needs, keywords, guide in ITEMS:
        if code in existing:
            continue
        await create_item(
            None,
            code=code,
            name=name,
            audience=audience,
            theme=theme,
            department=dept,
            online_level=level,
            guide=guide,
            needs=needs,
            keywords=keywords,
        )
        created += 1
    return created


DEMO_OPERATORS: tuple[tuple[str, str, list[str], list[str]], ...] = (
    ("admin", "platform_admin", [], []),
    ("hz-health", "department_operator", ["hz-wjw"], ["330100"]),
    ("hz-health-review", "reviewer", ["hz-wjw"], ["330100"]),
    ("hz-traffic", "department_operator", ["hz-jj"], ["330100"]),
    ("hz-traffic-review", "reviewer", ["hz-jj"], ["330100"]),
)


async def seed_demo_operators(var_dir: Path) -> None:
    """Demo operator accounts; their passwords are written once to var/demo-operators.json."""
    path = var_dir / "demo-operators.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    for username, role, departments, regions in DEMO_OPERATORS:
        if username in known and await Operator.exists(username=username):
            continue
        await Operator.filter(username=username).delete()
        password = secrets.token_urlsafe(12)
        await create_operator(
            username=username,
            password=password,
            role=role,
            departments=departments,
            regions=regions,
        )
        known[username] = {"password": password, "role": role, "departments": departments}
    path.write_text(json.dumps(known, ensure_ascii=False, indent=2))
    path.chmod(0o600)


async def seed(var_dir: Path) -> None:
    await seed_catalog()
    await seed_demo_operators(var_dir)

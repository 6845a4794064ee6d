"""Chinese search on real PostgreSQL: the bigram index, synonyms, ranking and analytics."""

from __future__ import annotations

import pytest

from app.catalog.models import SearchLog
from app.catalog.search import grams
from app.catalog.service import Catalog
from app.errors import InvalidInput, UnknownRegion

pytestmark = pytest.mark.usefixtures("clean")


def test_grams_are_chinese_bigrams_single_characters_and_latin_words() -> None:
    assert grams("社保") == {"社保"}
    assert grams("交通违法罚款") == {"交通", "通违", "违法", "法罚", "罚款"}
    assert grams("税") == {"税"}
    assert grams("NFC 核验") == {"nfc", "核验"}


@pytest.mark.parametrize(
    ("query", "expected_first", "also"),
    [
        ("挂号", "GG-330100-00101-001", {"GG-330200-00101-001"}),
        ("违章", "CF-330100-00012-001", {"CF-330100-00012-002", "CF-330200-00012-001"}),
        ("罚款", "CF-330100-00012-002", {"CF-330100-00012-001"}),
        ("学费", "ZS-330100-00041-001", set()),
        ("社保", "ZS-330100-00052-001", {"GG-330000-00051-001", "QR-330000-00053-001"}),
        ("考试费", "ZS-330000-00031-001", {"ZS-330000-00032-001"}),
    ],
)
async def test_each_keyword_finds_the_right_services_first(
    catalog: Catalog, query: str, expected_first: str, also: set[str]
) -> None:
    result = await catalog.search(query)
    codes = [r["code"] for r in result["results"]]
    assert codes, f"{query} found nothing"
    assert codes[0] == expected_first or expected_first in codes[:3], codes
    assert also <= set(codes), (query, codes)
    scores = [r["score"] for r in result["results"]]
    assert scores == sorted(scores, reverse=True)


async def test_search_does_not_return_unrelated_services(catalog: Catalog) -> None:
    codes = {r["code"] for r in (await catalog.search("挂号"))["results"]}
    assert not any(c.startswith(("CF-", "ZS-")) for c in codes), codes
    codes = {r["code"] for r in (await catalog.search("学费"))["results"]}
    assert "GG-330100-00101-001" not in codes and "CF-330100-00012-002" not in codes


async def test_region_narrows_the_search_to_what_that_resident_sees(catalog: Catalog) -> None:
    ningbo = {r["code"] for r in (await catalog.search("挂号", "wechat", "330212"))["results"]}
    assert ningbo == {"GG-330200-00101-001"}
    hangzhou = {r["code"] for r in (await catalog.search("挂号", "alipay", "330106"))["results"]}
    assert "GG-330100-00101-001" in hangzhou and "GG-330200-00101-001" not in hangzhou


async def test_guide_text_is_searched_at_a_lower_rank(catalog: Catalog) -> None:
    # "车管所" appears only in a guide's offline address.
    result = await catalog.search("车管所")
    assert [r["code"] for r in result["results"]] == ["XK-330100-00013-001"]
    assert result["results"][0]["score"] < 10


async def test_every_search_is_recorded_with_whether_it_found_anything(
    catalog: Catalog,
) -> None:
    await catalog.search("社保", "app", "330106")
    await catalog.search("火星签证")
    await catalog.search("社保")
    logs = await SearchLog.all().order_by("id").values("keyword", "hits", "channel", "region_code")
    assert [(r["keyword"], r["hits"] > 0) for r in logs] == [
        ("社保", True),
        ("火星签证", False),
        ("社保", True),
    ]
    assert logs[0]["channel"] == "app" and logs[0]["region_code"] == "330106"
    from app.catalog.search import analytics

    report = await analytics()
    assert report["total"] == 3 and report["without_results"] == 1
    assert report["top"][0] == {"keyword": "社保", "searches": 2}
    assert report["zero_hit"] == [{"keyword": "火星签证", "searches": 1}]


async def test_bad_queries_are_refused_and_not_recorded(catalog: Catalog) -> None:
    with pytest.raises(InvalidInput):
        await catalog.search("   ")
    with pytest.raises(InvalidInput):
        await catalog.search("挂号", "douyin")
    with pytest.raises(UnknownRegion):
        await catalog.search("挂号", "app", "999999")
    assert await SearchLog.all().count() == 0

"""Chinese search without a Chinese tokenizer: a character-bigram index table plus synonyms.

PostgreSQL here has pg_trgm but no Chinese parser (zhparser / pg_jieba), and the demo runs on
SQLite, so the index is an ordinary table of (item, field, gram) rows that both engines query
with an indexed ``gram IN (...)``. Chinese text yields overlapping character bigrams (and
single characters for one-character words); Latin text yields lower-cased words. A query is
also expanded through the synonym table (罚款 → 交通违法), at a lower weight.

Ranking: for each query variant, the share of its grams an item's field contains, weighted by
field (name 10, keyword 6, guide 1), the best variant counting; an exact name substring adds 5.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from app.catalog.models import SearchGram, SearchLog, ServiceItem, Synonym
from infra import clock

FIELD_WEIGHT = {"name": 10.0, "keyword": 6.0, "guide": 1.0}
SYNONYM_WEIGHT = 0.8
MIN_COVERAGE = 0.5
_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+")


def grams(text: str) -> set[str]:
    """Bigrams of each Chinese run (a lone character stands for itself), and Latin words."""
    out: set[str] = set()
    lowered = text.lower()
    for run in _CJK.findall(lowered):
        if len(run) == 1:
            out.add(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    out.update(_WORD.findall(lowered))
    return out


def guide_text(guide: dict) -> str:
    """The guide text residents search by: its conditions, the names of its materials (what
    they would type: 户口簿, 结婚证, 营业执照) and where to go (车管所, 市民中心)."""
    parts = [c for c in guide.get("conditions") or [] if isinstance(c, str)]
    parts += [
        m["name"]
        for m in guide.get("materials") or []
        if isinstance(m, dict) and isinstance(m.get("name"), str)
    ]
    parts += [
        p[key]
        for p in guide.get("places") or []
        if isinstance(p, dict)
        for key in ("name", "address")
        if isinstance(p.get(key), str)
    ]
    return " ".join(parts)


async def index_item(item: ServiceItem) -> None:
    """Rebuild the item's rows; called in the transaction that creates or changes the item."""
    await SearchGram.filter(item_id=item.id).delete()
    fields = {
        "name": grams(item.name),
        "keyword": set().union(*(grams(k) for k in item.keywords)) if item.keywords else set(),
        "guide": grams(guide_text(item.guide)),
    }
    rows = [
        SearchGram(item_id=item.id, field=name, gram=g)
        for name, found in fields.items()
        for g in sorted(found)
        if len(g) <= 32
    ]
    if rows:
        await SearchGram.bulk_create(rows)


@dataclass(frozen=True)
class Hit:
    item_id: int
    score: float


async def _variants(query: str) -> list[tuple[set[str], float]]:
    """The query's grams, then each synonym's grams (for every term the query contains)."""
    variants = [(grams(query), 1.0)]
    synonyms = await Synonym.all().values("term", "means")
    for row in synonyms:
        if row["term"] in query:
            expanded = query.replace(row["term"], row["means"])
            variants.append((grams(expanded), SYNONYM_WEIGHT))
            variants.append((grams(row["means"]), SYNONYM_WEIGHT * 0.9))
    return [(g, w) for g, w in variants if g]


async def rank(query: str, candidate_ids: set[int] | None = None) -> list[Hit]:
    """Items matching the query, best first; ``candidate_ids`` limits to a visible set."""
    query = query.strip()
    variants = await _variants(query)
    every = set().union(*(g for g, _ in variants)) if variants else set()
    if not every:
        return []
    found: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in await SearchGram.filter(gram__in=sorted(every)).values("item_id", "field", "gram"):
        if candidate_ids is None or row["item_id"] in candidate_ids:
            found[row["item_id"]][row["field"]].add(row["gram"])
    if not found:
        return []
    names = dict(await ServiceItem.filter(id__in=list(found)).values_list("id", "name"))
    hits: list[Hit] = []
    for item_id, by_field in found.items():
        best = 0.0
        for variant, weight in variants:
            for field, have in by_field.items():
                coverage = len(variant & have) / len(variant)
                if coverage >= MIN_COVERAGE:
                    best = max(best, weight * FIELD_WEIGHT[field] * coverage)
        if best > 0:
            if query and query.lower() in names.get(item_id, "").lower():
                best += 5.0
            hits.append(Hit(item_id, round(best, 3)))
    hits.sort(key=lambda h: (-h.score, h.item_id))
    return hits


async def record(keyword: str, hits: int, channel: str | None, region: str | None) -> None:
    await SearchLog.create(
        keyword=keyword[:64], hits=hits, channel=channel, region_code=region, at=clock.now()
    )


async def analytics(limit: int = 20, days: int = 30) -> dict:
    """Top keywords and keywords that found nothing (what residents miss in the catalog), and
    both counted per Asia/Shanghai day over the last ``days`` days (for the console's chart)."""
    rows = await SearchLog.all().values("keyword", "hits", "at")
    counts: dict[str, int] = defaultdict(int)
    misses: dict[str, int] = defaultdict(int)
    today = clock.shanghai_date()
    first = today - timedelta(days=days - 1)
    per_day = {first + timedelta(days=n): [0, 0] for n in range(days)}
    for row in rows:
        counts[row["keyword"]] += 1
        if row["hits"] == 0:
            misses[row["keyword"]] += 1
        day = per_day.get(clock.shanghai_date(row["at"]))
        if day is not None:
            day[0] += 1
            day[1] += row["hits"] == 0

    def top(table: dict[str, int]) -> list[dict]:
        ordered = sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [{"keyword": k, "searches": n} for k, n in ordered]

    return {
        "total": len(rows),
        "without_results": sum(misses.values()),
        "top": top(counts),
        "zero_hit": top(misses),
        "daily": [
            {"day": d.isoformat(), "searches": n, "without_results": z}
            for d, (n, z) in per_day.items()
        ],
    }

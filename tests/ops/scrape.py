"""Reading one sample out of a Prometheus text exposition, for tests that count."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` with exactly these labels; 0 when it is absent
    (a counter that never moved has no series yet)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


async def scrape(api: httpx.AsyncClient) -> str:
    answer = await api.get("/metrics")
    assert answer.status_code == 200, answer.text
    return answer.text

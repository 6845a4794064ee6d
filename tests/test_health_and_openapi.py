"""Operations endpoints against the live server."""

from __future__ import annotations

import httpx


async def test_healthz_checks_the_database_and_redis_for_real(api: httpx.AsyncClient) -> None:
    r = await api.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def test_openapi_lists_the_routes_with_their_bodies(api: httpx.AsyncClient) -> None:
    doc = (await api.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert "post" in doc["paths"]["/api/v1/sessions"]
    body_ref = doc["paths"]["/api/v1/sessions"]["post"]["requestBody"]["content"][
        "application/json"
    ]
    schema = doc["components"]["schemas"][body_ref["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"channel", "code"}
    assert doc["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]
    assert "/healthz" in doc["paths"] and "/api/v1/agency/whoami" in doc["paths"]

"""Operations endpoints against the live server."""

from __future__ import annotations

import httpx


async def test_healthz_is_liveness_and_readyz_checks_everything_for_real(
    api: httpx.AsyncClient,
) -> None:
    alive = await api.get("/healthz")
    assert alive.status_code == 200 and alive.json() == {"status": "alive"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "redis": "ok",
            "migrations": "current",
            "draining": False,
            "processes": "ok",  # both HTTP workers and the embedded worker run
        },
    }


async def test_readiness_names_a_migration_the_database_has_not_applied(database: None) -> None:
    from app.runtime import schema
    from infra import db

    shipped = db.migrations_on_disk(schema.APPS)
    assert ("payments", "0001_initial") in shipped
    assert await db.pending_migrations(shipped) == []
    future = shipped | {("payments", "9999_not_yet")}
    assert await db.pending_migrations(future) == ["payments.9999_not_yet"]


async def test_metrics_count_requests_by_route_template_never_by_path(
    api: httpx.AsyncClient,
) -> None:
    """Twelve lookups of twelve different codes make one series of twelve, not twelve series;
    no code, token or id reaches the exposition."""

    def lookups(text: str) -> float:
        for line in text.splitlines():
            if line.startswith(f"yiwang_http_request_duration_seconds_count{{{series}}}"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    series = 'method="GET",route="/api/v1/notices/<payment_code:str>",status="401"'
    before = lookups((await api.get("/metrics")).text)
    codes = [f"3301062600100{n:06d}9" for n in range(12)]
    for code in codes:
        assert (await api.get(f"/api/v1/notices/{code}")).status_code == 401
    scraped = await api.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert lookups(scraped.text) - before == 12
    assert not any(code in scraped.text for code in codes)
    assert "yiwang_db_pool_connections" in scraped.text


async def test_metrics_answer_the_machine_itself_or_the_token_holder_only(
    api: httpx.AsyncClient,
) -> None:
    from tests.conftest import METRICS_TOKEN

    proxied = {"X-Forwarded-For": "203.0.113.9"}
    refused = await api.get("/metrics", headers=proxied)
    assert refused.status_code == 403 and refused.json()["code"] == "METRICS_FORBIDDEN"
    assert "yiwang_http" not in refused.text
    wrong = await api.get(
        "/metrics", headers={**proxied, "Authorization": f"Bearer {METRICS_TOKEN}x"}
    )
    assert wrong.status_code == 403
    right = await api.get(
        "/metrics", headers={**proxied, "Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert right.status_code == 200 and "yiwang_http_request_duration_seconds" in right.text


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

"""JSON answers of 1 KiB and more are gzipped for a client that accepts it; nothing else is."""

from __future__ import annotations

import gzip
import json
from types import SimpleNamespace

import httpx
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from app.http.compression import MIN_BYTES, compress_json


async def test_a_large_json_answer_is_gzipped_only_for_a_client_that_accepts_it(
    api: httpx.AsyncClient,
) -> None:
    zipped = await api.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    plain = await api.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.json() == plain.json()  # httpx decodes: the same document either way


async def test_a_small_answer_is_sent_as_it_is(api: httpx.AsyncClient) -> None:
    small = await api.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert small.status_code == 200 and "content-encoding" not in small.headers


def _request(accept: str) -> SimpleNamespace:
    return SimpleNamespace(headers={"accept-encoding": accept})


def test_a_strong_etag_turns_weak_and_vary_is_named_once() -> None:
    document = {"items": ["x" * 40] * 60}
    response = json_response(document, headers={"ETag": '"v7"', "Vary": "Accept-Encoding"})
    assert len(response.body) >= MIN_BYTES
    compress_json(_request("gzip, br"), response)  # type: ignore[arg-type]
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["ETag"] == 'W/"v7"'
    assert response.headers["Vary"] == "Accept-Encoding"
    assert json.loads(gzip.decompress(response.body)) == document


def test_files_and_refusing_clients_are_left_alone() -> None:
    pdf = HTTPResponse(b"%PDF" + b"0" * 4000, content_type="application/pdf")
    compress_json(_request("gzip"), pdf)  # type: ignore[arg-type]
    assert "Content-Encoding" not in pdf.headers
    document = json_response({"items": ["x" * 40] * 60})
    compress_json(_request("identity"), document)  # type: ignore[arg-type]
    assert "Content-Encoding" not in document.headers and document.body.startswith(b"{")

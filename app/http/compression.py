"""gzip for JSON answers a client accepts compressed, as a front proxy would do.

A phone on a slow network opening the H5 home page fetches the catalog before anything shows;
compressed it is a fifth of the size. Only JSON of 1 KiB and more is compressed: smaller
bodies gain nothing, and files (PDF, PNG, the shells' assets) are already compressed or
served precompressed. A compressed answer's strong ETag becomes weak, as nginx does, since
the bytes differ from the identity encoding; ``etag_matches`` compares them weakly.
"""

from __future__ import annotations

import gzip

from sanic import Request
from sanic.response import HTTPResponse

MIN_BYTES = 1024


def compress_json(request: Request, response: HTTPResponse) -> None:
    body = response.body
    if (
        not body
        or len(body) < MIN_BYTES
        or "gzip" not in request.headers.get("accept-encoding", "")
        or not (response.content_type or "").startswith("application/json")
        or "content-encoding" in response.headers
    ):
        return
    response.body = gzip.compress(body, compresslevel=6, mtime=0)
    response.headers["Content-Encoding"] = "gzip"
    vary = response.headers.get("Vary", "")
    if "accept-encoding" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    etag = response.headers.get("ETag")
    if etag and not etag.startswith("W/"):
        response.headers["ETag"] = "W/" + etag

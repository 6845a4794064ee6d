"""Signed HTTP calls to the province, with its errors turned into channel errors.

Every request is signed over exactly what goes on the wire: the request is built first,
then its raw path (with query) and body are signed, so encoding can never drift between
what we sign and what we send.
"""

from __future__ import annotations

from typing import Any

import httpx

from channels.app.settings import AppChannelSettings
from channels.app.signing import signed_headers
from channels.base import ChannelRejected, ChannelUnavailable


class ProvincialClient:
    def __init__(
        self, settings: AppChannelSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/"),
            timeout=httpx.Timeout(settings.timeout_seconds),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one signed call; 2xx comes back, everything else raises a ChannelError."""
        request = self._http.build_request(method, path, json=json, params=params)
        body = request.read()
        request.headers.update(
            signed_headers(
                self.settings.client_id,
                self.settings.client_secret,
                method,
                request.url.raw_path.decode("ascii"),
                body,
            )
        )
        try:
            response = await self._http.send(request)
        except httpx.TimeoutException as exc:
            raise ChannelUnavailable(f"provincial app timed out on {method} {path}") from exc
        except httpx.HTTPError as exc:
            raise ChannelUnavailable(f"provincial app unreachable: {exc!r}") from exc
        if response.status_code >= 500:
            raise ChannelUnavailable(
                f"provincial app answered {response.status_code} on {method} {path}"
            )
        if response.status_code >= 400:
            code, message = error_of(response)
            raise ChannelRejected(
                f"provincial app refused {method} {path}: {message}", channel_code=code
            )
        return response

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A signed call whose success answer must be a JSON object."""
        response = await self.request(method, path, json=json, params=params)
        try:
            data = response.json()
        except ValueError as exc:
            raise ChannelUnavailable(f"provincial app sent non-JSON on {method} {path}") from exc
        if not isinstance(data, dict):
            raise ChannelUnavailable(f"provincial app sent a non-object on {method} {path}")
        return data


def error_of(response: httpx.Response) -> tuple[str | None, str]:
    try:
        data = response.json()
    except ValueError:
        return None, f"HTTP {response.status_code}"
    if not isinstance(data, dict):
        return None, f"HTTP {response.status_code}"
    code = data.get("code")
    return (code if isinstance(code, str) else None), str(data.get("message", ""))

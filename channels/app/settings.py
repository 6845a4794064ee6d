"""How Yiwang is registered with the provincial platform."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AppChannelSettings:
    client_id: str
    client_secret: str = field(repr=False)
    # The province's API base (the sandbox's base URL in development and tests).
    base_url: str
    timeout_seconds: float = 5.0

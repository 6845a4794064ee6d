"""The scenario registry: every module in this package that defines ``SCENARIO`` is one.

Adding a scenario is adding a module::

    async def setup(ctx: BenchContext) -> Request:
        ...prepare data through the real API and the sandbox...
        return Request("/api/v1/...", headers={...})

    SCENARIO = Scenario("name", "what it measures", setup, check=optional_check)

``setup`` answers the request shape wrk sends (method, path, headers, body, or a Lua script
of its own for requests that vary). ``check`` runs after the load and answers problems
(e.g. a broken database invariant); any problem marks the scenario failed.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench.context import BenchContext
from bench.wrk import REQUEST_SCRIPT, WrkResult


@dataclass(frozen=True)
class Request:
    """The request every wrk connection repeats.

    The default script (bench/lua/request.lua) sends ``method``, ``headers`` and ``body``
    unchanged. A scenario whose requests must vary (a different notification each time)
    names its own script under bench/lua/ and passes it data through ``script_env``.
    ``expect_status`` is what one probe request must answer before the load starts.
    """

    path: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    script: Path = REQUEST_SCRIPT
    script_env: Mapping[str, str] = field(default_factory=dict)
    expect_status: int = 200
    # A rush that turns most requests away answers 4xx by design; its check proves it right.
    refusals_expected: bool = False
    # A release at a set instant (epoch seconds): probed before it, then no warm-up, and the
    # measured run starts a moment before it so the release falls inside the measurement.
    starts_at: float | None = None


Check = Callable[[BenchContext, Request, WrkResult], Awaitable[list[str]]]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    setup: Callable[[BenchContext], Awaitable[Request]]
    check: Check | None = None


def registry() -> dict[str, Scenario]:
    """Every scenario module of this package, by scenario name, in module-name order."""
    found: dict[str, Scenario] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        scenario = getattr(module, "SCENARIO", None)
        if not isinstance(scenario, Scenario):
            raise TypeError(f"{module.__name__} defines no SCENARIO = Scenario(...)")
        if scenario.name in found:
            raise ValueError(f"two scenarios are named {scenario.name!r}")
        found[scenario.name] = scenario
    return found

"""axe-core (from npm, in miniprogram/node_modules) run in Debian's Chromium on a page.

The rules are WCAG 2.1 A and AA (GB/T 37668-2019 follows WCAG 2.1) plus axe's best
practices. A page fails on any violation of serious or critical impact; the others are
counted and written to the report so they can be seen going down.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page

from tests import tools

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
BLOCKING = ("serious", "critical")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PREFS_KEY = "yiwang.display"


def axe_source() -> str:
    path = tools.node_packages() / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        tools.missing("axe-core (npm ci in miniprogram/)")
    return path.read_text()


@dataclass
class Audit:
    """One page in one mode at one size: what axe found."""

    page: str
    mode: str
    viewport: str
    violations: list[dict[str, Any]]
    passes: int
    incomplete: int

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v["impact"] in BLOCKING]

    def line(self) -> str:
        counts: dict[str, int] = {}
        for v in self.violations:
            counts[v["impact"] or "none"] = counts.get(v["impact"] or "none", 0) + len(v["nodes"])
        return (
            f"{self.page:<28} {self.mode:<6} {self.viewport:<7} "
            f"critical={counts.get('critical', 0)} serious={counts.get('serious', 0)} "
            f"moderate={counts.get('moderate', 0)} minor={counts.get('minor', 0)} "
            f"passes={self.passes} incomplete={self.incomplete}"
        )

    def explain(self) -> str:
        return "\n".join(
            f"  {v['id']} ({v['impact']}): {v['help']} → "
            + "; ".join(str(n["target"]) + " " + n["failureSummary"][:160] for n in v["nodes"][:4])
            for v in self.blocking
        )


@dataclass
class Report:
    audits: list[Audit] = field(default_factory=list)

    def add(self, audit: Audit) -> None:
        self.audits.append(audit)

    def write(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        blocking = sum(len(a.blocking) for a in self.audits)
        path.write_text(
            f"axe-core over {len(self.audits)} page renders; serious+critical rule violations: "
            f"{blocking}\n" + "\n".join(a.line() for a in self.audits) + "\n"
        )
        return path


async def audit(page: Page, name: str, mode: str, viewport: str) -> Audit:
    # Injected over CDP, so the shell's CSP (script-src 'self') stays as it is.
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    result = await page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations'],
                                               iframes: false});
            return {violations: r.violations.map(v => ({id: v.id, impact: v.impact,
                      help: v.help, nodes: v.nodes.map(n => ({target: n.target,
                      failureSummary: n.failureSummary || ''}))})),
                    passes: r.passes.length, incomplete: r.incomplete.length};
        }""",
        TAGS,
    )
    return Audit(name, mode, viewport, result["violations"], result["passes"], result["incomplete"])


def prefs_script(elder: bool, scale: int = 100) -> str:
    """Set before any page script runs: what a resident chose on this device last time."""
    value = json.dumps({"elder": elder, "scale": scale})
    return f"try {{ localStorage.setItem({PREFS_KEY!r}, {value!r}); }} catch (e) {{}}"


@asynccontextmanager
async def context(
    browser: Browser, viewport: str, *, elder: bool | None, scale: int = 100
) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile; with ``elder`` set, this device remembers that mode."""
    size = VIEWPORTS[viewport]
    phone = viewport == "phone"
    ctx = await browser.new_context(
        viewport=size,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
    )
    if elder is not None:
        await ctx.add_init_script(prefs_script(elder, scale))
    try:
        yield ctx
    finally:
        await ctx.close()

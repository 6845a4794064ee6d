"""The operator commands behind ``yiwang miniapp``, ``yiwang catalog`` and ``yiwang operator``.

``validate`` and ``parity`` read the catalog database directly (DATABASE_URL, or the demo's).
``submit`` goes through the HTTP API as the operator, so it is checked, scoped and audited
exactly like the console.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from app.catalog.manifests import validate_manifest
from app.catalog.parity import parity_report
from app.catalog.regions import load_tree
from app.errors import DomainError
from app.operators.auth import create_operator


class CommandFailed(Exception):
    """The command's answer is a failure; the message is printed and the exit code is 1."""


def read_manifest(path: str) -> Any:
    """A YAML (or JSON, which is YAML) manifest file."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CommandFailed(f"cannot read {path}: {exc}") from exc


def format_problems(problems: list[dict[str, str]]) -> str:
    return "\n".join(f"  {p['field']}: {p['problem']}" for p in problems)


async def validate_file(path: str) -> dict[str, Any]:
    data = read_manifest(path)
    try:
        manifest = await validate_manifest(data, await load_tree())
    except DomainError as exc:
        problems = exc.details.get("problems", [])
        raise CommandFailed(f"{path}: {exc.message}\n{format_problems(problems)}") from exc
    return {"valid": True, "id": manifest.id, "items": manifest.items}


def submit_file(path: str, api: str, username: str, password: str) -> dict[str, Any]:
    data = read_manifest(path)
    with httpx.Client(base_url=api.rstrip("/"), timeout=30) as client:
        login = client.post(
            "/api/v1/operator/sessions", json={"username": username, "password": password}
        )
        if login.status_code != 201:
            raise CommandFailed(f"sign-in failed: {login.json().get('message', login.text)}")
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        try:
            answer = client.post(
                "/api/v1/operator/miniapps", json={"manifest": data}, headers=headers
            )
        finally:
            client.delete("/api/v1/operator/sessions/current", headers=headers)
    body = answer.json()
    if answer.status_code != 201:
        problems = body.get("details", {}).get("problems", [])
        raise CommandFailed(f"{path}: {body.get('message')}\n{format_problems(problems)}")
    return body


async def parity(region: str | None) -> dict[str, Any]:
    report = await parity_report(region)
    if not report["ok"]:
        raise CommandFailed(json.dumps(report, ensure_ascii=False, indent=2))
    return report


async def create_operator_account(
    username: str, role: str, departments: list[str], regions: list[str], env: Mapping[str, str]
) -> dict[str, Any]:
    """Prints the password once when none was given in YIWANG_OPERATOR_PASSWORD."""
    password = env.get("YIWANG_OPERATOR_PASSWORD") or secrets.token_urlsafe(15)
    try:
        op = await create_operator(
            username=username,
            password=password,
            role=role,
            departments=departments,
            regions=regions,
        )
    except DomainError as exc:
        raise CommandFailed(exc.message) from exc
    out: dict[str, Any] = {"id": op.id, "username": op.username, "role": op.role}
    if "YIWANG_OPERATOR_PASSWORD" not in env:
        out["password"] = password
    return out

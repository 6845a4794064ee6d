"""``yiwang``: serve, worker, migrate, agency create. The only place that reads os.environ."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from app.config import Settings, SettingsError, load_settings


def _settings(args: argparse.Namespace, *, demo: bool = False) -> Settings:
    try:
        return load_settings(
            os.environ,
            demo=demo,
            host=getattr(args, "host", "127.0.0.1"),
            port=getattr(args, "port", 8000),
            sandbox_port=getattr(args, "sandbox_port", 8001),
            workers=getattr(args, "workers", 1),
        )
    except SettingsError as exc:
        sys.exit(f"yiwang: configuration error: {exc}")


def cmd_serve(args: argparse.Namespace) -> None:
    from app.serving import serve

    settings = _settings(args, demo=args.demo)
    serve(settings)


def cmd_worker(args: argparse.Namespace) -> None:
    from app.worker import run_worker

    settings = _settings(args)
    asyncio.run(run_worker(settings))


def cmd_migrate(args: argparse.Namespace) -> None:
    from app.serving import prepare_database

    settings = _settings(args, demo=args.demo)
    asyncio.run(prepare_database(settings, seed_demo=False))
    print("migrations applied")


def cmd_agency_create(args: argparse.Namespace) -> None:
    from app.agency.signing import create_agency
    from app.serving import with_database
    from infra.pii import PiiVault

    # Without DATABASE_URL the command works on the demo's database, beside `serve --demo`.
    settings = _settings(args, demo=args.demo or "DATABASE_URL" not in os.environ)

    async def create() -> dict[str, str]:
        vault = PiiVault(settings.pii_key, settings.pii_hash_key)
        agency, secret = await create_agency(
            vault,
            name=args.name,
            kind=args.kind,
            webhook_url=args.webhook_url,
            region_code=args.region,
        )
        return {"key": agency.key, "secret": secret}

    print(json.dumps(asyncio.run(with_database(settings, create))))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yiwang", description="Yiwang (一网) backend")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="SQLite under ./var/, in-process Redis, sandbox, worker, demo data",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--sandbox-port", type=int, default=8001)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the background worker (jobs, outbox)")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--demo", action="store_true", help="the demo's SQLite database")
    migrate.set_defaults(func=cmd_migrate)

    agency = sub.add_parser("agency", help="manage agencies")
    agency_sub = agency.add_subparsers(dest="agency_command", required=True)
    create = agency_sub.add_parser("create", help='register an agency; prints {"key","secret"}')
    create.add_argument("--name", required=True)
    create.add_argument("--kind", required=True, choices=["traffic", "fees", "health"])
    create.add_argument("--webhook-url", default=None)
    create.add_argument("--region", default=None, help="6-digit region code")
    create.add_argument("--demo", action="store_true", help="use the demo's database")
    create.set_defaults(func=cmd_agency_create)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    args.func(args)

"""The processes and the schema: serve, worker, migrate, makemigrations."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.cli.environment import add_demo_flag, settings_for


def serve(args: argparse.Namespace) -> None:
    from app.runtime.main import serve as run_server

    run_server(settings_for(args))


def worker(args: argparse.Namespace) -> None:
    from app.runtime.worker_pool import WorkerPool

    WorkerPool(settings_for(args), size=args.processes).run()


def migrate(args: argparse.Namespace) -> None:
    from app.runtime.serving import prepare_database

    asyncio.run(prepare_database(settings_for(args), seed_demo=False))
    print("migrations applied")


def makemigrations(args: argparse.Namespace) -> None:
    from app.runtime import schema_migrations

    if args.check:
        rooms = asyncio.run(schema_migrations.pending())
        if rooms:
            sys.exit(f"models changed without a migration in: {', '.join(rooms)}")
        print("migrations are up to date")
        return
    for path in asyncio.run(schema_migrations.make(args.rooms)):
        print(f"wrote {path}")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="run the HTTP server")
    add_demo_flag(parser)
    parser.set_defaults(func=serve)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--sandbox-port", type=int, default=None, help="default 8001")
    parser.add_argument("--workers", type=int, default=1)

    parser = sub.add_parser("worker", help="run the background worker (jobs, outbox)")
    parser.add_argument(
        "--processes", type=int, default=1, help="worker processes (restarted if one dies)"
    )
    parser.set_defaults(func=worker, touches_data=True)

    parser = sub.add_parser("migrate", help="apply database migrations")
    add_demo_flag(parser)
    parser.set_defaults(func=migrate)

    parser = sub.add_parser(
        "makemigrations", help="write migrations for the named rooms (app labels)"
    )
    parser.add_argument("rooms", nargs="*")
    parser.add_argument("--check", action="store_true", help="fail if any are missing")
    parser.set_defaults(func=makemigrations)

"""``yiwang``: serve, worker, migrate, agency create. The only place that reads os.environ."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import date

from app.config import Settings, SettingsError, load_settings
from app.crypto_cli import add_crypto_parsers


def _settings(args: argparse.Namespace, *, demo: bool = False) -> Settings:
    try:
        return load_settings(
            os.environ,
            demo=demo,
            host=getattr(args, "host", "127.0.0.1"),
            port=getattr(args, "port", 8000),
            sandbox_port=getattr(args, "sandbox_port", None),
            workers=getattr(args, "workers", 1),
        )
    except SettingsError as exc:
        sys.exit(f"yiwang: configuration error: {exc}")


def cmd_serve(args: argparse.Namespace) -> None:
    from app.main import serve

    settings = _settings(args, demo=args.demo)
    serve(settings)


def cmd_worker(args: argparse.Namespace) -> None:
    from app.worker import run_worker_process

    run_worker_process(_settings(args))


def cmd_migrate(args: argparse.Namespace) -> None:
    from app.serving import prepare_database

    settings = _settings(args, demo=args.demo)
    asyncio.run(prepare_database(settings, seed_demo=False))
    print("migrations applied")


def cmd_makemigrations(args: argparse.Namespace) -> None:
    from app import schema_migrations

    if args.check:
        rooms = asyncio.run(schema_migrations.pending())
        if rooms:
            sys.exit(f"models changed without a migration in: {', '.join(rooms)}")
        print("migrations are up to date")
        return
    for path in asyncio.run(schema_migrations.make(args.rooms)):
        print(f"wrote {path}")


def cmd_reconcile(args: argparse.Namespace) -> None:
    from app.serving import with_services

    settings = _settings(args, demo=args.demo or "DATABASE_URL" not in os.environ)

    async def run(services):  # type: ignore[no-untyped-def]
        report = await services.reconciler.run(args.channel, date.fromisoformat(args.date))
        return report.as_dict()

    report = asyncio.run(with_services(settings, run))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if any(not d["fixed"] for d in report["discrepancies"]):
        sys.exit(1)


def cmd_refund(args: argparse.Namespace) -> None:
    from app.serving import with_services

    settings = _settings(args, demo=args.demo or "DATABASE_URL" not in os.environ)

    async def run(services):  # type: ignore[no-untyped-def]
        made = await services.refunds.request(
            args.order, args.amount_fen, reason=args.reason, requested_by=args.operator,
            request_key=args.idempotency_key,
        )
        return {"refund_no": made.refund.refund_no, "status": made.refund.status,
                "amount_fen": made.refund.amount_fen, "idempotency_key": args.idempotency_key,
                "replayed": made.replayed}

    print(json.dumps(asyncio.run(with_services(settings, run))))


def cmd_appointments(args: argparse.Namespace) -> None:
    """Operator commands of the appointments room: gate drift, gate rebuild, lifting a ban."""
    import uuid

    from app.appointments.noshows import lift_ban
    from app.serving import with_services

    settings = _settings(args)

    async def run(services):  # type: ignore[no-untyped-def]
        if args.appointments_command == "drift":
            return (await services.appointments.drift()).as_dict()
        if args.appointments_command == "rebuild-gate":
            return {"groups_rebuilt": await services.appointments.rebuild_gate()}
        lifted = await lift_ban(uuid.UUID(args.citizen), args.reason)
        return {"citizen": str(lifted.citizen_id), "was_banned_until": lifted.was_until.isoformat(),
                "reason": lifted.reason}

    result = asyncio.run(with_services(settings, run))
    print(json.dumps(result, ensure_ascii=False))
    if args.appointments_command == "drift" and result["drifted"]:
        sys.exit(1)


def cmd_agency_create(args: argparse.Namespace) -> None:
    from app.agency.signing import create_agency
    from app.serving import with_database

    # Without DATABASE_URL the command works on the demo's database, beside `serve --demo`.
    settings = _settings(args, demo=args.demo or "DATABASE_URL" not in os.environ)

    async def create() -> dict[str, str]:
        vault = settings.vault()
        agency, secret = await create_agency(
            vault,
            name=args.name,
            kind=args.kind,
            webhook_url=args.webhook_url,
            region_code=args.region,
        )
        return {"key": agency.key, "secret": secret}

    print(json.dumps(asyncio.run(with_database(settings, create))))


def cmd_catalog(args: argparse.Namespace) -> None:
    """yiwang miniapp validate|submit, yiwang catalog parity|seed, yiwang operator create."""
    import getpass

    from app.catalog import commands
    from app.serving import with_database

    settings = _settings(args, demo=args.demo or "DATABASE_URL" not in os.environ)
    action = args.catalog_action
    try:
        if action == "submit":
            password = os.environ.get("YIWANG_OPERATOR_PASSWORD") or getpass.getpass()
            result = commands.submit_file(args.manifest, args.api, args.username, password)
        elif action == "validate":
            check = commands.validate_file
            result = asyncio.run(with_database(settings, lambda: check(args.manifest)))
        elif action == "parity":
            result = asyncio.run(with_database(settings, lambda: commands.parity(args.region)))
        elif action == "seed":
            from app.catalog.demo import seed_catalog

            result = {"items_created": asyncio.run(with_database(settings, seed_catalog))}
        else:
            result = asyncio.run(
                with_database(
                    settings,
                    lambda: commands.create_operator_account(
                        args.username, args.role, args.department, args.region, os.environ
                    ),
                )
            )
    except commands.CommandFailed as exc:
        sys.exit(f"yiwang: {exc}")
    print(json.dumps(result, ensure_ascii=False))


def cmd_miniprogram_build(args: argparse.Namespace) -> None:
    """Build an uploadable mini-program package with the API base and app id from settings."""
    import shutil
    import subprocess
    from pathlib import Path

    settings = _settings(args, demo=args.env == "demo")
    source = Path(__file__).resolve().parent.parent / "miniprogram"
    node = shutil.which("node")
    if node is None or not (source / "build.mjs").exists():
        sys.exit("yiwang: the mini-program build needs node and the miniprogram/ sources")
    channels = settings.channels
    app_id = channels.wechat_appid if args.channel == "wechat" else channels.alipay_app_id
    out = Path(args.out or source / "dist" / args.channel).resolve()
    command = [node, str(source / "build.mjs"), "--channel", args.channel, "--env", args.env,
               "--api-base", settings.public_base_url, "--app-id", app_id, "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"yiwang: {done.stderr.strip()}")
    print(done.stdout.strip())


def _catalog_parsers(sub: argparse._SubParsersAction) -> None:
    miniapp = sub.add_parser("miniapp", help="mini-app manifests: validate, submit for review")
    miniapp_sub = miniapp.add_subparsers(dest="catalog_action", required=True)
    validate = miniapp_sub.add_parser("validate", help="check a manifest.yaml (exit 1 + problems)")
    validate.add_argument("manifest")
    submit = miniapp_sub.add_parser(
        "submit", help="submit a manifest.yaml for review (password: YIWANG_OPERATOR_PASSWORD)"
    )
    submit.add_argument("manifest")
    submit.add_argument("--api", default="http://127.0.0.1:8000")
    submit.add_argument("--username", required=True)
    catalog = sub.add_parser("catalog", help="the catalog: channel parity report, seed data")
    catalog_sub = catalog.add_subparsers(dest="catalog_action", required=True)
    parity = catalog_sub.add_parser("parity", help="every channel difference with its reason")
    parity.add_argument("--region", default=None, help="one region (default: all)")
    seed = catalog_sub.add_parser("seed", help="load themes, regions, departments and items")
    operator = sub.add_parser("operator", help="operator accounts")
    operator_sub = operator.add_subparsers(dest="catalog_action", required=True)
    create = operator_sub.add_parser("create", help="create an operator; prints the password once")
    create.add_argument("--username", required=True)
    create.add_argument(
        "--role", required=True, choices=["platform_admin", "department_operator", "reviewer"]
    )
    create.add_argument("--department", action="append", default=[], help="repeatable")
    create.add_argument("--region", action="append", default=[], help="repeatable")
    for command in (miniapp, catalog, operator):
        command.set_defaults(func=cmd_catalog)
    # On each leaf, so `yiwang operator create --demo …` reads as it is typed.
    for leaf in (validate, submit, parity, seed, create):
        leaf.add_argument("--demo", action="store_true", help="use the demo's database")


def cmd_cases(args: argparse.Namespace) -> None:
    """yiwang cases define-form|bind-desk: the operator API's changes, scoped to nobody
    (whoever runs this holds the database) and audited as "system"."""
    from pathlib import Path

    from app.cases import setup
    from app.cases.forms import spec_document
    from app.serving import with_database

    settings = _settings(args, demo=args.demo or "DATABASE_URL" not in os.environ)
    if args.cases_command == "define-form":
        try:
            document = json.loads(Path(args.file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            sys.exit(f"yiwang: cannot read {args.file} as JSON: {exc}")

        async def run() -> dict:
            fields, materials, days = spec_document(document)
            form, changed = await setup.define_form(
                args.item,
                fields,
                materials,
                days,
                attachments_limit=settings.service_rules.materials_per_case,
                reason=args.reason or "yiwang cases define-form",
            )
            return {"item_code": form.item_code, "version": form.version, "changed": changed}
    else:

        async def run() -> dict:
            desk, created = await setup.bind_desk(
                args.agency_key, args.department, reason=args.reason or "yiwang cases bind-desk"
            )
            return {**desk, "created": created}

    print(json.dumps(asyncio.run(with_database(settings, run)), ensure_ascii=False))


def cmd_open311(args: argparse.Namespace) -> None:
    """yiwang open311 create-client|revoke-client|list-clients."""
    from app.interactions import clients
    from app.serving import with_database

    settings = _settings(args, demo=args.demo or "DATABASE_URL" not in os.environ)

    async def run() -> object:
        if args.open311_command == "create-client":
            client, api_key = await clients.create_client(args.name)
            return {**clients.client_view(client), "api_key": api_key}
        if args.open311_command == "revoke-client":
            return clients.client_view(await clients.revoke_client(args.id))
        return await clients.list_clients()

    print(json.dumps(asyncio.run(with_database(settings, run)), ensure_ascii=False))


def _public_service_parsers(sub: argparse._SubParsersAction) -> None:
    cases = sub.add_parser("cases", help="case forms and case desks")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True)
    form = cases_sub.add_parser(
        "define-form", help="define or change an item's case form (a new version, audited)"
    )
    form.add_argument("--item", required=True, help="the service item code")
    form.add_argument(
        "--file", required=True, help='JSON {"fields":[…],"materials":[…],"time_limit_days"?}'
    )
    desk = cases_sub.add_parser("bind-desk", help="let an agency work a department's cases")
    desk.add_argument("--agency-key", required=True)
    desk.add_argument("--department", required=True, help="the department code")
    for command in (form, desk):
        command.add_argument("--reason", default=None, help="kept in the audit log")
        command.add_argument("--demo", action="store_true", help="use the demo's database")
    cases.set_defaults(func=cmd_cases)
    open311 = sub.add_parser("open311", help="Open311 clients (api_keys for outside tools)")
    open311_sub = open311.add_subparsers(dest="open311_command", required=True)
    create = open311_sub.add_parser("create-client", help="prints the api_key once")
    create.add_argument("--name", required=True)
    revoke = open311_sub.add_parser("revoke-client", help="the key stops working at once")
    revoke.add_argument("--id", type=int, required=True, help="the client_id")
    listing = open311_sub.add_parser("list-clients", help="clients without their keys")
    for command in (create, revoke, listing):
        command.add_argument("--demo", action="store_true", help="use the demo's database")
    open311.set_defaults(func=cmd_open311)


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
    serve.add_argument("--sandbox-port", type=int, default=None, help="default 8001")
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the background worker (jobs, outbox)")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--demo", action="store_true", help="the demo's SQLite database")
    migrate.set_defaults(func=cmd_migrate)

    makemigrations = sub.add_parser(
        "makemigrations", help="write migrations for the named rooms (app labels)"
    )
    makemigrations.add_argument("rooms", nargs="*")
    makemigrations.add_argument("--check", action="store_true", help="fail if any are missing")
    makemigrations.set_defaults(func=cmd_makemigrations)

    reconcile = sub.add_parser("reconcile", help="reconcile one channel's bill for a day")
    reconcile.add_argument("--channel", required=True, choices=["wechat", "alipay", "app"])
    reconcile.add_argument("--date", required=True, help="the bill's Shanghai date, YYYY-MM-DD")
    reconcile.add_argument("--demo", action="store_true")
    reconcile.set_defaults(func=cmd_reconcile)

    refund = sub.add_parser("refund", help="refund (part of) a paid order, with a reason")
    refund.add_argument("--order", required=True, help="the order number (YW…)")
    refund.add_argument("--amount-fen", type=int, required=True)
    refund.add_argument("--reason", required=True)
    refund.add_argument("--operator", required=True, help="who asks for it (audited)")
    refund.add_argument(
        "--idempotency-key", required=True,
        help="8-64 of A-Z a-z 0-9 _ -, new for each refund; re-running the same command "
        "(same key) answers the refund it made instead of refunding twice",
    )
    refund.add_argument("--demo", action="store_true")
    refund.set_defaults(func=cmd_refund)

    appts = sub.add_parser("appointments", help="appointments: gate drift and rebuild, bans")
    appts_sub = appts.add_subparsers(dest="appointments_command", required=True)
    appts_sub.add_parser("drift", help="compare the Redis gate with PostgreSQL (exit 1 on drift)")
    appts_sub.add_parser("rebuild-gate", help="reload every upcoming gate group from PostgreSQL")
    lift = appts_sub.add_parser("lift-ban", help="lift a citizen's booking ban, with a reason")
    lift.add_argument("--citizen", required=True, help="citizen id (UUID)")
    lift.add_argument("--reason", required=True)
    appts.set_defaults(func=cmd_appointments)

    agency = sub.add_parser("agency", help="manage agencies")
    agency_sub = agency.add_subparsers(dest="agency_command", required=True)
    create = agency_sub.add_parser("create", help='register an agency; prints {"key","secret"}')
    create.add_argument("--name", required=True)
    create.add_argument("--kind", required=True, choices=["traffic", "fees", "health", "market"])
    create.add_argument("--webhook-url", default=None)
    create.add_argument("--region", default=None, help="6-digit region code")
    create.add_argument("--demo", action="store_true", help="use the demo's database")
    create.set_defaults(func=cmd_agency_create)
    _catalog_parsers(sub)
    _public_service_parsers(sub)
    add_crypto_parsers(sub, _settings)  # national cryptography: app/crypto_cli.py
    miniprogram = sub.add_parser("miniprogram", help="the WeChat and Alipay mini-programs")
    miniprogram_sub = miniprogram.add_subparsers(dest="miniprogram_command", required=True)
    mp_build = miniprogram_sub.add_parser("build", help="write an uploadable package")
    mp_build.add_argument("--channel", required=True, choices=["wechat", "alipay"])
    mp_build.add_argument("--env", required=True, choices=["demo", "prod"])
    mp_build.add_argument("--out", default=None, help="default miniprogram/dist/<channel>")
    mp_build.set_defaults(func=cmd_miniprogram_build)
    return parser


def main(argv: list[str] | None = None) -> None:
    from app.errors import DomainError
    from payments.errors import PaymentError

    args = _parser().parse_args(argv)
    try:
        args.func(args)
    except (DomainError, PaymentError) as exc:
        print(json.dumps({"code": exc.code, "message": exc.message}, ensure_ascii=False),
              file=sys.stderr)
        sys.exit(1)

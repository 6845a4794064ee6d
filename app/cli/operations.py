"""Running a stack: the standalone sandbox, fresh secrets, the demo data set for staging."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

from app.cli.environment import add_demo_flag, print_json, settings_for
from app.config import Operations, SettingsError, sandbox_credentials


def sandbox(args: argparse.Namespace) -> None:
    """Run the channel sandbox alone, for every instance of a stack to share."""
    from app.runtime.main import run_sandbox_process
    from channels.sandbox.config import SandboxConfig

    try:
        ops: Operations = Operations.from_env(os.environ)
        var_dir = Path(os.environ.get("YIWANG_VAR_DIR", "var"))
        credentials = sandbox_credentials(ops, var_dir / "sandbox-credentials.json")
        scale = float(args.time_scale or os.environ.get("YIWANG_SANDBOX_TIME_SCALE", "1.0"))
    except (SettingsError, ValueError) as exc:
        sys.exit(f"yiwang: configuration error: {exc}")
    base_url = (args.public_url or f"http://{args.host}:{args.port}").rstrip("/")
    config = SandboxConfig(
        credentials=credentials, base_url=base_url, time_scale=scale, demo_people=args.demo_people
    )
    print(f"yiwang: sandbox  {base_url}", flush=True)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    run_sandbox_process(config, args.host, args.port)


def secrets(args: argparse.Namespace) -> None:
    from app.runtime.provisioning import env_file

    print(env_file(sandbox=args.sandbox), end="")


def demo_seed(args: argparse.Namespace) -> None:
    """Load the demo data set into the configured database (staging), never a guessed one."""
    from app.runtime.demo import seed
    from app.runtime.serving import with_database

    settings = settings_for(args)
    asyncio.run(with_database(settings, lambda: seed(settings)))
    print_json({"seeded": "demo", "agency_keys": str(settings.var_dir / "demo-agencies.json")})


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sandbox", help="run the channel sandbox alone (for a stack)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--public-url", default=None, help="where instances reach it")
    parser.add_argument("--time-scale", default=None, help="scales notification retries")
    parser.add_argument("--demo-people", action="store_true", help="know the demo's residents")
    parser.set_defaults(func=sandbox)

    parser = sub.add_parser("secrets", help="fresh secrets for a new stack")
    commands = parser.add_subparsers(dest="secrets_command", required=True)
    generate = commands.add_parser("generate", help="print NAME=value lines, fresh keys")
    generate.add_argument(
        "--sandbox", action="store_true", help="add the sandbox's channel credentials"
    )
    generate.set_defaults(func=secrets)

    parser = sub.add_parser("demo", help="the demo data set")
    commands = parser.add_subparsers(dest="demo_command", required=True)
    seed = commands.add_parser("seed", help="load it into DATABASE_URL (or --demo's database)")
    add_demo_flag(seed)
    seed.set_defaults(func=demo_seed)

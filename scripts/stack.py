"""Start the production shape on this machine and keep it up: nginx in front of two
instances, one standalone sandbox, two workers, on a fresh PostgreSQL database and a Redis
db of its own (docs/operations.md, "The deployment shape").

    .venv/bin/python scripts/stack.py               # up until Ctrl-C; prints the addresses
    .venv/bin/python scripts/stack.py --journeys    # the journeys of tests/ops instead

The database is dropped and the Redis db released when it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import claimed_redis_db, fresh_database  # noqa: E402
from tests.ops.stack import running_stack  # noqa: E402


async def up(workers: int) -> None:
    async with fresh_database() as database_url:
        with (
            claimed_redis_db() as redis_url,
            tempfile.TemporaryDirectory(prefix="yiwang-stack-") as tmp,
            running_stack(
                Path(tmp), database_url=database_url, redis_url=redis_url,
                workers_per_instance=workers,
            ) as stack,
        ):
            print(f"front door (nginx)  {stack.front}")
            for name in stack.instance_ports:
                print(f"{name:<19} {stack.instance(name)}  (/metrics here)")
            print(f"sandbox             {stack.sandbox}")
            print(f"database            {database_url}")
            print(f"redis               {redis_url}")
            print(f"logs                {tmp}/*.log")
            print("Ctrl-C stops everything.", flush=True)
            with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
                while all(p.alive for p in stack.processes.values()):
                    await asyncio.sleep(1)
                dead = [n for n, p in stack.processes.items() if not p.alive]
                print(f"stopped: {', '.join(dead)} exited", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--journeys", action="store_true", help="run tests/ops's journeys")
    parser.add_argument("--workers", type=int, default=1, help="worker processes per instance")
    args = parser.parse_args()
    if args.journeys:
        started = time.monotonic()
        command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                   "tests/ops/test_production_shape.py"]
        code = subprocess.call(command, cwd=ROOT)
        print(f"journeys took {time.monotonic() - started:.0f} s", file=sys.stderr)
        return code
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(up(args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())

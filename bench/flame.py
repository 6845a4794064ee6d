"""Summarise a py-spy raw profile (``bench/run.py --profile``) as text for docs/performance.md.

    .venv/bin/python bench/flame.py bench/results/<stamp>-server-me.pyspy [--top 20]

Each line of a raw profile is one stack (``frame;frame;…`` root first) and its sample count;
with ``--subprocesses`` the leading ``process …`` frames name the process (a child's after
its parent's). Stacks that end waiting (epoll, a condition, a pipe read) are idle and
dropped: py-spy's own idle detection does not work with ``--nonblocking``. The HTTP worker
processes (stacks through Sanic's server loop) are summarised together: the share of their
samples under each part of the request path (inclusive: a sample counts for every part on
its stack), the functions themselves on CPU (self time) and our own functions (inclusive).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# Parts of a request, by a frame on the stack (first match from the leaf decides self time).
PARTS: tuple[tuple[str, str], ...] = (
    ("access log line", "infra/logs.py"),
    ("request metrics", "infra/metrics.py"),
    ("request id + response stamp", "app/http/middleware.py"),
    ("JSON body parse", "app/http/bodies.py"),
    ("session / principal lookup", "app/http/auth.py"),
    ("error answers", "app/http/errors.py"),
    ("Redis client", "redis/"),
    ("asyncpg", "asyncpg/"),
    ("Tortoise ORM", "tortoise/"),
    ("pypika query building", "pypika"),
    ("pydantic", "pydantic"),
    ("cryptography / gmssl", "cryptography/"),
    ("Sanic HTTP and routing", "sanic/"),
    ("asyncio / uvloop", "asyncio/"),
)
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


# A stack ending in one of these is a thread waiting, not working.
IDLE = (
    "select (selectors.py",
    "Condition.wait (threading.py",
    "Connection._recv (multiprocessing/connection.py",
    "Connection.poll",
    "wait (threading.py",
    "sleep (",
)
HTTP_WORKER = "sanic/server/runners.py"


def parse(path: Path) -> dict[str, Counter[tuple[str, ...]]]:
    """Working stacks by process: "http worker" (any Sanic server process) or its name."""
    by_process: dict[str, Counter[tuple[str, ...]]] = {}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = tuple(stack.split(";"))
        names = [f for f in frames if f.startswith("process ")]
        frames = tuple(f for f in frames if not f.startswith("process "))
        if not frames or any(marker in frames[-1] for marker in IDLE):
            continue
        text = ";".join(frames)
        if HTTP_WORKER in text:
            process = "HTTP workers"
        elif "app/runtime/worker.py" in text or "app/worker.py" in text:
            process = "background worker"
        elif "channels/sandbox" in text:
            process = "sandbox"
        else:
            process = names[-1][:60] if names else "process"
        by_process.setdefault(process, Counter())[frames] += int(count)
    return by_process


def short(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for marker in ("site-packages/", "/lib/python3.11/", "/i23/", "/main/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{match['func']} ({file})"


def summarise(stacks: Counter[tuple[str, ...]], top: int) -> list[str]:
    total = sum(stacks.values())
    out = [f"samples: {total}"]
    inclusive: Counter[str] = Counter()
    for frames, n in stacks.items():
        text = ";".join(frames)
        for part, marker in PARTS:
            if marker in text:
                inclusive[part] += n
    out.append("part of the request path          share (inclusive)")
    for part, _ in PARTS:
        out.append(f"  {part:<32} {100 * inclusive[part] / total:5.1f} %")
    own: Counter[str] = Counter()
    for frames, n in stacks.items():
        own[short(frames[-1])] += n
    out.append(f"top {top} functions on CPU (self)")
    for name, n in own.most_common(top):
        out.append(f"  {100 * n / total:5.1f} %  {name}")
    ours: Counter[str] = Counter()
    for frames, n in stacks.items():
        seen = set()
        for frame in frames:
            name = short(frame)
            project = name.split("(")[-1].startswith(("app/", "infra/", "payments/", "channels/"))
            if project and name not in seen:
                seen.add(name)
                ours[name] += n
    out.append(f"top {top} project functions (inclusive)")
    for name, n in ours.most_common(top):
        out.append(f"  {100 * n / total:5.1f} %  {name}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/flame.py")
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--processes", type=int, default=1, help="busiest processes shown")
    parser.add_argument("--only", help="summarise this process group (e.g. 'HTTP workers')")
    args = parser.parse_args(argv)
    by_process = parse(args.profile)
    if not by_process:
        print(f"{args.profile}: no samples", file=sys.stderr)
        return 1
    everything = sum(sum(c.values()) for c in by_process.values())
    busiest = sorted(by_process.items(), key=lambda item: -sum(item[1].values()))
    print("working samples by process: " + ", ".join(
        f"{name} {100 * sum(c.values()) / everything:.0f} %" for name, c in busiest
    ))
    if args.only:
        busiest = [(name, c) for name, c in busiest if name == args.only]
    for process, stacks in busiest[: args.processes]:
        share = 100 * sum(stacks.values()) / everything
        print(f"## {process[:100]} ({share:.0f} % of all samples)")
        print("\n".join(summarise(stacks, args.top)))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())

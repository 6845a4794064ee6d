"""A real HTTP endpoint on a free port that records what it receives (agency webhooks)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Statuses to answer in order; the last one repeats.
    statuses: list[int] = field(default_factory=lambda: [200])
    # Requests that have arrived, answered or not (with ``delay``, some are still waiting).
    arrived: int = 0


@contextmanager
def receiver(path: str = "/hooks", *, delay: float = 0.0) -> Iterator[Receiver]:
    """``delay`` seconds before each answer: a slow agency system."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = state["r"]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            rec.arrived += 1
            if delay:
                time.sleep(delay)
            rec.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status = rec.statuses[min(len(rec.received), len(rec.statuses)) - 1]
            # A sender killed mid-request (the worker-restart test) is gone: nobody to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}{path}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        server.shutdown()
        server.server_close()

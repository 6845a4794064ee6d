"""The ceiling: the smallest Sanic JSON handler, run the way our server runs.

Same Sanic, same process manager (``workers`` processes under a main process), access log
off like ``yiwang serve``. Every scenario is reported as a ratio to this handler measured
with the same worker count in the same session.

    python bench/bare.py --port 9000 --workers 2
"""

from __future__ import annotations

import argparse

from sanic import Request, Sanic
from sanic.response import JSONResponse, json

app = Sanic("bench_bare")


@app.get("/")
async def index(request: Request) -> JSONResponse:
    return json({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser(description="bare Sanic JSON handler (benchmark ceiling)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    app.run(
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        motd=False,
        single_process=False,
    )


if __name__ == "__main__":
    main()

"""What counting a request costs, in CPU time, next to what serving ``me`` costs.

    .venv/bin/python bench/metrics_cost.py [--results bench/results/<on>.json <off>.json]

wrk's ratios (bench/run.py --scenario me, with and without
``--server-env YIWANG_REQUEST_METRICS=false``) differ by less than a busy machine's noise,
so this measures the piece itself: ``infra.metrics.observe_request`` in prometheus-client's
multiprocess mode (memory-mapped files, as a server worker runs it), in process CPU time,
over many calls. Given two bench results (metrics on, then off) it also prints their
``me`` ratios. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = 200_000

_MEASURE = """
import time
from infra import metrics
routes = ["/api/v1/me", "/api/v1/orders/<order_no:str>", "/healthz", "/api/v1/catalog"]
n = {calls}
start = time.process_time()
for i in range(n):
    metrics.observe_request("GET", routes[i % 4], 200, 0.004)
print((time.process_time() - start) / n * 1e6)
"""


def observe_cost_us(calls: int = CALLS) -> float:
    with tempfile.TemporaryDirectory(prefix="yiwang-metrics-cost-") as directory:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory}
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE.format(calls=calls)],
            env=env, cwd=ROOT, capture_output=True, text=True, check=True,
        )
    return float(done.stdout.strip())


def me_ratio(path: Path) -> tuple[float, float]:
    session = json.loads(path.read_text())
    for scenario in session["scenarios"]:
        if scenario["name"] == "me":
            return float(scenario["ratio_to_bare"]), float(scenario["figures"]["requests_per_s"])
    raise SystemExit(f"{path} has no me scenario")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", nargs=2, type=Path, metavar=("ON", "OFF"))
    args = parser.parse_args()
    cost = observe_cost_us()
    print(f"observe_request, multiprocess mode: {cost:.2f} µs of CPU per request")
    if args.results:
        (on, on_rps), (off, off_rps) = (me_ratio(p) for p in args.results)
        print(f"me ratio with request metrics {on:.2f} ({on_rps:,.0f} req/s), "
              f"without {off:.2f} ({off_rps:,.0f} req/s)")
        # Two cores serve ``me``: CPU per request is about 2 / req/s.
        share = cost / (2 / off_rps * 1e6)
        print(f"counting is {share:.1%} of a me request's CPU at that rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())

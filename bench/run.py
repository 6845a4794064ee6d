"""Run the benchmarks: ``.venv/bin/python bench/run.py [--workers 2] [--duration 10]
[--scenario NAME ...]``. See docs/performance.md."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import entry

if __name__ == "__main__":
    sys.exit(entry())

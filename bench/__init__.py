"""Load benchmarks: each scenario's throughput as a ratio to a bare Sanic handler (not tests)."""

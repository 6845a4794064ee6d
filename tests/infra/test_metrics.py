"""The metrics module: bounded labels, and the bookkeeping of an instance's directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infra import metrics


def test_labels_stay_bounded_whatever_a_client_sends() -> None:
    assert metrics.http_labels("GET", "/api/v1/orders/<order_no:str>", 200) == (
        "GET",
        "/api/v1/orders/<order_no:str>",
        "200",
    )
    # A made-up method, a path no route matched, an impossible status: one series each.
    assert metrics.http_labels("BREW", None, 200) == ("OTHER", "unmatched", "200")
    assert metrics.http_labels("GET", None, 999) == ("GET", "unmatched", "other")


def test_a_fresh_directory_forgets_the_last_run(tmp_path: Path, monkeypatch) -> None:
    # Recorded so the test leaves the variable as it found it.
    monkeypatch.setenv(metrics.DIRECTORY_VARIABLE, "unset-after-the-test")
    directory = tmp_path / "metrics" / "port-8000"
    directory.mkdir(parents=True)
    (directory / "counter_4242.db").write_bytes(b"old counts")
    metrics.use_directory(directory)
    assert directory.is_dir() and list(directory.iterdir()) == []
    assert os.environ[metrics.DIRECTORY_VARIABLE] == str(directory)


def test_dead_processes_lose_their_live_gauges_but_keep_their_counts(tmp_path: Path) -> None:
    for name in (
        "gauge_livesum_100.db",
        "gauge_livesum_200.db",
        "counter_100.db",
        "histogram_100.db",
    ):
        (tmp_path / name).write_bytes(b"")
    dead = metrics.mark_dead_processes(tmp_path, alive=[200])
    assert dead == [100]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "counter_100.db",
        "gauge_livesum_200.db",
        "histogram_100.db",
    ]


def test_without_alive_given_the_kernel_says_who_is_alive(tmp_path: Path) -> None:
    mine = os.getpid()
    (tmp_path / f"gauge_livesum_{mine}.db").write_bytes(b"")
    # A pid above the kernel's limit can never be running.
    (tmp_path / "gauge_livesum_99999999.db").write_bytes(b"")
    assert metrics.mark_dead_processes(tmp_path) == [99999999]
    assert (tmp_path / f"gauge_livesum_{mine}.db").exists()


def test_a_process_without_a_directory_renders_its_own_registry() -> None:
    metrics.RATE_LIMIT_HITS.labels("test-only").inc()
    text = metrics.render(None).decode()
    assert 'yiwang_rate_limit_hits_total{route="test-only"}' in text


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("YIWANG_METRICS_TOKEN", "short", "YIWANG_METRICS_TOKEN"),
        ("YIWANG_DRAIN_SECONDS", "soon", "YIWANG_DRAIN_SECONDS"),
        ("YIWANG_GRACE_SECONDS", "-1", "YIWANG_GRACE_SECONDS"),
    ],
)
def test_operations_settings_fail_fast(variable: str, value: str, named: str) -> None:
    from app.config import Operations, SettingsError

    with pytest.raises(SettingsError, match=named):
        Operations.from_env({variable: value})

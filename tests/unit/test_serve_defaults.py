"""`ucs serve`'s default worker count, chosen for small machines (docs/operations.md)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def default_workers(cores: set[int], tmp_path) -> int:
    """gunicorn_config's workers in a child process allowed to run on these cores only (as gunicorn's master:
    importing it sets up a metrics directory)."""
    script = f"import os; os.sched_setaffinity(0, {cores!r}); import ucs.cli.gunicorn_config as c; print(c.workers)"
    return int(
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
        ).stdout
    )


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_one_worker_per_core_and_at_least_two(tmp_path):
    cores = sorted(os.sched_getaffinity(0))
    assert default_workers({cores[0]}, tmp_path) == 2
    if len(cores) >= 2:
        assert default_workers(set(cores[:2]), tmp_path) == 2  # gunicorn's 2 x cores + 1 would be 5
    assert default_workers(set(cores), tmp_path) == max(2, len(cores))

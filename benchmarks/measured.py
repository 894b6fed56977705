"""What the benchmarks that time whole processes share: a command measured through peak_rss.py, and
SeaweedFS with a fresh bucket in a temporary directory that is deleted afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.support.s3_servers import S3Server, seaweedfs_server

PEAK_RSS = Path(__file__).resolve().parent / "peak_rss.py"


def measured(what: str, command: list[str], env: dict[str, str], stdin: Path | None = None) -> dict:
    """Run command in its own process: {"wall", "cpu", "peak_rss_mib"}; stops the benchmark if it fails.

    stdin: a file the command reads as its standard input (else it reads nothing)."""
    wrapper = [sys.executable, "-S", str(PEAK_RSS), *command]
    with open(stdin or os.devnull, "rb") as source:
        finished = subprocess.run(wrapper, env=env, stdin=source, capture_output=True, text=True)
    if finished.returncode != 0 or not finished.stdout:
        raise SystemExit(f"{what} could not be measured: {finished.stderr[-2000:]}")
    result = json.loads(finished.stdout)
    if result["exit_code"] != 0:
        raise SystemExit(f"{what} failed: {finished.stderr[-2000:]}")
    return result


@contextlib.contextmanager
def seaweedfs_in_temporary_directory(prefix: str, also: str = "") -> Iterator[tuple[Path, S3Server, str]]:
    """(the temporary directory, SeaweedFS started in it, a new bucket named bench-...)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        workdir = Path(directory)
        print(f"starting SeaweedFS{also} in {workdir}", flush=True)
        (workdir / "seaweedfs").mkdir()
        with seaweedfs_server(workdir / "seaweedfs") as s3:
            yield workdir, s3, s3.make_bucket("bench")

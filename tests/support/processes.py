"""Start real servers as child processes on free loopback ports, and stop them afterwards."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import requests

from scripts.local_runs import stop

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(
    url: str, timeout: float = 30, process: subprocess.Popen | None = None, log: Path | None = None
):
    """Poll url until it answers (any status); fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}:\n{_tail(log)}")
        try:
            return requests.get(url, timeout=2)
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still booting
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s:\n{_tail(log)}")


def _tail(log: Path | None) -> str:
    return log.read_text()[-3000:] if log and log.exists() else ""


@contextlib.contextmanager
def running(
    command: Sequence[str],
    log: Path,
    ready_url: str,
    env: dict | None = None,
    timeout: float = 30,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen]:
    """Run command (output to log) until the with-block ends; ready once ready_url answers."""
    with open(log, "wb") as output:
        process = subprocess.Popen(
            list(command),
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            cwd=cwd,
        )
    try:
        wait_for_http(ready_url, timeout, process, log)
        yield process
    finally:
        stop(process)

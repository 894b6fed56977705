"""What `make demo`, `make bench` and the tests' server fixtures share: sample files and stopping servers.

Nothing here imports the tests, so the demo and the benchmark run from a checkout without them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
from pathlib import Path

MiB = 1024 * 1024


def write_random_file(path: Path, size: int) -> str:
    """Write size random bytes to path, 16 MiB at a time; returns their SHA-256."""
    sha256 = hashlib.sha256()
    with open(path, "wb") as output:
        for offset in range(0, size, 16 * MiB):
            block = os.urandom(min(16 * MiB, size - offset))
            sha256.update(block)
            output.write(block)
    return sha256.hexdigest()


def sha256_of(path: Path) -> str:
    with open(path, "rb") as data:
        return hashlib.file_digest(data, "sha256").hexdigest()


def stop(process: subprocess.Popen, grace: float = 10) -> int | None:
    """Stop a process started with start_new_session=True, and its children; returns its exit code.

    SIGTERM first, so a server can shut down cleanly; SIGKILL when it has not ended after grace seconds.
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode

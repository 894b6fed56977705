"""How long `ucs serve` takes from its start to its first answer on /health, for some worker counts.

The embedded default (SQLite, filesystem store), migrated beforehand so that each round measures serving
only. Rounds of the worker counts are interleaved, so that other load on the machine falls on each alike.

    .venv/bin/python benchmarks/serve_start.py [--workers default 5 2] [--rounds 3]

"default" starts `ucs serve` without --workers: the count ucs/cli/gunicorn_config.py chooses.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.local_runs import stop  # noqa: E402
from tests.support.processes import VENV_BIN, free_port  # noqa: E402


def first_health(workers: str, instance: Path) -> float:
    """Seconds from starting `ucs serve` to a 200 from /health."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("UCS_")}
    env["UCS_INSTANCE_PATH"] = str(instance)
    url = f"127.0.0.1:{free_port()}"
    command = [str(VENV_BIN / "ucs"), "serve", "--bind", url]
    if workers != "default":
        command += ["--workers", workers]
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while process.poll() is None:
            try:
                if requests.get(f"http://{url}/health", timeout=120).ok:
                    return time.monotonic() - started
            except requests.ConnectionError:
                time.sleep(0.05)
        raise SystemExit(f"ucs serve exited with {process.returncode}")
    finally:
        stop(process, grace=130)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", nargs="+", default=["default", "5"])
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ucs-serve-start-") as work:
        instance = Path(work) / "instance"
        env = {key: value for key, value in os.environ.items() if not key.startswith("UCS_")}
        subprocess.run(
            [str(VENV_BIN / "ucs"), "db", "upgrade"],
            env={**env, "UCS_INSTANCE_PATH": str(instance)},
            check=True,
            capture_output=True,
        )
        times: dict[str, list[float]] = {workers: [] for workers in arguments.workers}
        for round_number in range(1, arguments.rounds + 1):
            for workers in arguments.workers:
                seconds = first_health(workers, instance)
                times[workers].append(seconds)
                load = os.getloadavg()[0]
                print(
                    f"round {round_number}, workers {workers}: {seconds:.1f} s (load {load:.1f})", flush=True
                )
    for workers, measured in times.items():
        shown = ", ".join(f"{seconds:.1f}" for seconds in measured)
        print(f"workers {workers}: median {statistics.median(measured):.1f} s ({shown})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""upload-client's time on signing against sending, for a 10,000-part upload, with and without batches.

A 625 MiB file in 10,000 parts of 64 KiB on the filesystem store (`ucs serve`, SQLite): each run uploads
it as a new file id, once asking UCS for part URLs in batches (the default) and once one URL per request
(`--url-batch 0`), the two interleaved over the rounds. Reports the median wall time of each and the time
the workers spent waiting for URLs, summed over them (the client's own `part URLs:` line).

    .venv/bin/python benchmarks/client_signing.py [--rounds 2] [--parallel 4]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.local_runs import write_random_file  # noqa: E402
from tests.support.client_runs import CLIENT, register  # noqa: E402
from tests.support.tokens import staff_token  # noqa: E402
from tests.support.ucs_server import ucs_server  # noqa: E402

PART_SIZE = 64 * 1024
PARTS = 10_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ucs-client-signing-") as workdir:
        work = Path(workdir)
        source = work / "parts.bin"
        write_random_file(source, PART_SIZE * PARTS)
        with ucs_server(work / "ucs", serve_workers=2, PART_SIZE=PART_SIZE, LOG_LEVEL="WARNING") as ucs:
            results: dict[str, list[tuple[float, int, float]]] = {"batched": [], "one per request": []}
            for number in range(args.rounds):
                order = ["batched", "one per request"] if number % 2 == 0 else ["one per request", "batched"]
                for mode in order:
                    file_id = f"signing-{mode.split()[0]}-{number}"
                    register(ucs.url, file_id, source)
                    results[mode].append(upload(ucs.url, file_id, source, mode, args.parallel))
                    wall, requests_made, waited = results[mode][-1]
                    print(f"round {number + 1}: {mode:16} {wall:6.1f} s, {requests_made:6,} URL requests, "
                          f"{waited:6.1f} s waited for URLs (all workers)", flush=True)  # fmt: skip
    print(
        f"\n{PARTS:,} parts of {PART_SIZE // 1024} KiB, --parallel {args.parallel}, medians of {args.rounds}:"
    )
    print("| part URLs | wall s | URL requests | s waited for URLs (all workers) | share of worker time |")
    print("|---|---:|---:|---:|---:|")
    for mode, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        waited = statistics.median(r[2] for r in runs)
        share = waited / (wall * args.parallel)
        print(f"| {mode} | {wall:.1f} | {runs[0][1]:,} | {waited:.1f} | {share:.0%} |")
    return 0


def upload(url: str, file_id: str, source: Path, mode: str, parallel: int) -> tuple[float, int, float]:
    command = [CLIENT, "upload", "--file-id", file_id, "--api-url", url, "--file-path", str(source),
               "--parallel", str(parallel)]  # fmt: skip
    if mode != "batched":
        command += ["--url-batch", "0"]
    began = time.monotonic()
    result = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "UCS_TOKEN": staff_token()}, check=False
    )
    wall = time.monotonic() - began
    if result.returncode != 0:
        raise SystemExit(f"upload failed: {result.stderr}")
    found = re.search(r"part URLs: (\d+) requests? to UCS, ([\d.]+) s waited", result.stdout)
    return wall, int(found.group(1)), float(found.group(2))


if __name__ == "__main__":
    sys.exit(main())

"""The control plane under load: how fast UCS signs part URLs, answers upload lookups and completes uploads.

Starts everything the production way on this machine: a fresh PostgreSQL database, moto's S3 server (with
S3's 5 MiB part minimum lowered, so a 10,000-part upload fits in memory), `ucs serve` with --workers
gunicorn workers, and wrk (Debian's package: `apt-get install wrk`) as the load generator, on the same
cores. Every request carries a real bearer token. Reports requests/s and p50/p99 latency for

- the one-part URL: POST /multipart_uploads/U/part/N/presigned_post,
- a batch of 100 part URLs: POST /multipart_uploads/U/parts/presigned_posts (and part URLs/s),
- GET /multipart_uploads/U,

and the time UCS takes to complete a 10,000-part upload on the filesystem store and on s3, beyond the
store's own time (read from UCS's /metrics: ucs_storage_request_duration_seconds).

    .venv/bin/python benchmarks/control_plane.py [--duration 10] [--connections 16] [--workers 4] [--rounds 3]
        [--baseline REV]  # also serve UCS at git revision REV: its rounds interleaved with this checkout's
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.databases import postgres_database  # noqa: E402
from tests.support.metrics import scrape, total  # noqa: E402
from tests.support.s3_servers import moto_server  # noqa: E402
from tests.support.tokens import bearer, default_issuer  # noqa: E402
from tests.support.ucs_server import ucs_server  # noqa: E402

PARTS = 10_000
BATCH = 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="Seconds of load per scenario.")
    parser.add_argument("--connections", type=int, default=16, help="wrk's open connections.")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of `ucs serve`.")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="Rounds of every scenario; medians reported.")
    parser.add_argument("--baseline", metavar="REV", help="Also serve UCS at this git revision, interleaved.")
    parser.add_argument("--skip-completion", action="store_true", help="Only the request rates.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="ucs-control-plane-") as workdir:
        work = Path(workdir)
        (work / "moto").mkdir()
        with postgres_database(str(work / "migrate")) as database, moto_server(work / "moto", 1) as s3:
            settings = {**s3.bucket_settings("s3"), "DATABASE_URL": database, "LOG_LEVEL": "WARNING"}
            with contextlib.ExitStack() as servers:
                codes = {"this checkout": None}
                if args.baseline:
                    codes[args.baseline] = revision_code(args.baseline, work / "baseline")
                serving = {
                    label: servers.enter_context(
                        ucs_server(work / f"ucs-{n}", serve_workers=args.workers, code=code, **settings)
                    )
                    for n, (label, code) in enumerate(codes.items())
                }
                print(f"UCS: ucs serve --workers {args.workers} on PostgreSQL and moto (s3 backend): "
                      f"{', '.join(serving)}", flush=True)  # fmt: skip
                rates({label: server.url for label, server in serving.items()}, work, args)
                if not args.skip_completion:
                    print(f"completing {PARTS:,} parts on s3 (moto) ...", flush=True)
                    completion(serving["this checkout"].url, "s3")
            if not args.skip_completion:
                fs = {"DATABASE_URL": database, "LOG_LEVEL": "WARNING", "FILESYSTEM_ROOT": str(work / "fs")}
                with ucs_server(work / "ucs-fs", serve_workers=args.workers, **fs) as ucs:
                    print(f"completing {PARTS:,} parts on the filesystem store ...", flush=True)
                    completion(ucs.url, "filesystem")
    return 0


def revision_code(revision: str, directory: Path) -> Path:
    """UCS's packages as they were at revision (git archive), to serve beside this checkout's."""
    directory.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive.stdout, check=True)
    return directory


def rates(urls: dict[str, str], work: Path, args) -> None:
    """Each scenario once per round on each server, the servers' order alternating (interleaved); medians."""
    token = default_issuer().token(subject="control-plane-benchmark")
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    plans = {label: scenarios(started_upload(url, f"bench-rates-{n}", PARTS * 5 * 1024 * 1024))
             for n, (label, url) in enumerate(urls.items())}  # fmt: skip
    for number in range(args.rounds):
        labels = list(urls) if number % 2 == 0 else list(reversed(urls))
        for index, (name, *_) in enumerate(plans[labels[0]]):
            for label in labels:
                _, method, path, body, _ = plans[label][index]
                script = work / f"{len(name)}.lua"
                script.write_text(lua(method, path, body, token))
                wrk(
                    urls[label], script, args, duration=2
                )  # warm-up: workers' first requests, connection pools
                result = wrk(urls[label], script, args)
                runs.setdefault((name, label), []).append(result)
                print(f"  round {number + 1}: {name:18} {label:14} {result['rps']:8,.0f} requests/s, "
                      f"p99 {result['p99']:.1f} ms", flush=True)  # fmt: skip
    print(f"medians of {args.rounds} rounds:")
    print("| request | UCS | requests/s | p50 ms | p99 ms | part URLs/s |\n|---|---|---:|---:|---:|---:|")
    for name, _, _, _, urls_per_request in plans[next(iter(urls))]:
        for label in urls:
            found = runs[(name, label)]
            rps, p50, p99 = (statistics.median(r[field] for r in found) for field in ("rps", "p50", "p99"))
            per_second = f"{rps * urls_per_request:,.0f}" if urls_per_request else ""
            print(f"| {name} | {label} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {per_second} |", flush=True)


def scenarios(upload_id: str) -> list[tuple[str, str, str, str | None, int]]:
    """(name, method, path, body, part URLs per request) of each measured request."""
    return [
        ("one-part URL", "POST", f"/multipart_uploads/{upload_id}/part/%d/presigned_post", None, 1),
        ("batch of 100 URLs", "POST", f"/multipart_uploads/{upload_id}/parts/presigned_posts",
         json.dumps({"part_nos": list(range(1, BATCH + 1))}), BATCH),
        ("GET upload", "GET", f"/multipart_uploads/{upload_id}", None, 0),
    ]  # fmt: skip


def lua(method: str, path: str, body: str | None, token: str) -> str:
    """A wrk script: the method, headers and body; %d in path becomes part numbers 1..10,000 in turn."""
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "Bearer {token}"']
    if body is not None:
        lines += ['wrk.headers["Content-Type"] = "application/json"', f"wrk.body = '{body}'"]
    if "%d" in path:
        lines += [
            "local n = 0",
            "request = function()",
            f"  n = n % {PARTS} + 1",
            f'  return wrk.format(nil, string.format("{path}", n))',
            "end",
        ]
    else:
        lines.append(f'wrk.path = "{path}"')
    return "\n".join(lines) + "\n"


def wrk(url: str, script: Path, args, duration: int | None = None) -> dict[str, float]:
    command = ["wrk", "--latency", "-t", str(args.wrk_threads), "-c", str(args.connections),
               "-d", f"{duration or args.duration}s", "-s", str(script), url]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"UCS refused requests under load:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency_ms(output, "50%"),
        "p99": latency_ms(output, "99%"),
    }


def latency_ms(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)\b", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def started_upload(url: str, file_id: str, size: int) -> str:
    session = requests.Session()
    session.headers.update(bearer())
    session.put(f"{url}/files/{file_id}", json={"size": size}, timeout=30).raise_for_status()
    started = session.post(f"{url}/files/{file_id}/multipart_uploads", timeout=30)
    started.raise_for_status()
    return started.json()["upload_id"]


def completion(url: str, backend: str) -> None:
    """Store 10,000 one-byte parts, then time the completion; UCS's share is what the store did not spend."""
    session = requests.Session()
    session.headers.update(bearer())
    file_id = f"bench-complete-{backend}"
    upload_id = started_upload(url, file_id, PARTS)  # part size 1 byte: 10,000 parts
    parts = []
    for first in range(1, PARTS + 1, 1000):
        numbers = list(range(first, min(first + 1000, PARTS + 1)))
        signed = session.post(
            f"{url}/multipart_uploads/{upload_id}/parts/presigned_posts",
            json={"part_nos": numbers},
            timeout=60,
        )
        signed.raise_for_status()
        for item in signed.json():
            stored = requests.put(item["url"], data=b"x", headers=item["headers"], timeout=30)
            stored.raise_for_status()
            parts.append({"part_no": item["part_no"], "etag": stored.headers["ETag"]})
        print(f"  {len(parts):,} of {PARTS:,} parts stored", flush=True)
    before = store_seconds(url)
    began = time.perf_counter()
    done = session.patch(
        f"{url}/multipart_uploads/{upload_id}", json={"status": "uploaded", "parts": parts}, timeout=600
    )
    wall = time.perf_counter() - began
    if done.status_code != 204:
        raise SystemExit(f"the completion failed: {done.status_code} {done.text[:300]}")
    store = store_seconds(url) - before
    print(
        f"| {backend} | {PARTS:,} parts | completion {wall:.2f} s | store {store:.2f} s | UCS {wall - store:.2f} s |"
    )


def store_seconds(url: str) -> float:
    samples = scrape(url)
    return sum(
        total(samples, "ucs_storage_request_duration_seconds_sum", operation=operation)
        for operation in ("list_parts", "complete_multipart_upload", "head_object")
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

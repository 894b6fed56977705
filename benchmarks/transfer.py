"""Benchmark: upload-client against boto3's upload_file/download_file, same SeaweedFS, same settings.

Run with `make bench` or `.venv/bin/python benchmarks/transfer.py [--size-mib 1024] [--part-size-mib 16]
[--parallel 4] [--rounds 3]`. It starts SeaweedFS (`weed mini`) and UCS (s3 backend on it) as real
processes in a temporary directory, writes a random file there, and runs each tool in its own process,
interleaving the runs: round by round, upload-client upload, boto3 upload, upload-client download, boto3
download (the order of the two tools alternates between rounds). Each run's wall time, CPU seconds and
peak RSS come from os.wait4 on that process (through benchmarks/peak_rss.py). Every download is checked against the source's SHA-256.
Finally upload-client uploads with 64 MiB parts a quarter-size file and the full file, to show that its
peak RSS does not grow with file size. Everything, the test file included, is deleted at the end.
This is not a test: `make test` does not run it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measured import measured, seaweedfs_in_temporary_directory  # noqa: E402
from scripts.local_runs import MiB, sha256_of, write_random_file  # noqa: E402
from tests.support.s3_servers import S3Server  # noqa: E402
from tests.support.tokens import bearer, staff_token  # noqa: E402
from tests.support.ucs_server import ucs_server  # noqa: E402

BIN = Path(sys.executable).parent


@dataclass
class Run:
    tool: str
    operation: str
    wall: float
    cpu: float
    peak_rss_mib: float


def measure(tool: str, operation: str, command: list[str], env: dict[str, str]) -> Run:
    """Run command in its own process; its wall time, CPU time and peak RSS (see peak_rss.py)."""
    result = measured(f"{tool} {operation}", command, env)
    return Run(tool, operation, result["wall"], result["cpu"], result["peak_rss_mib"])


class Bench:
    def __init__(self, args, workdir: Path, s3: S3Server, bucket: str, api_url: str):
        self.args = args
        self.workdir = workdir
        self.s3 = s3
        self.bucket = bucket
        self.api_url = api_url
        self.part_size = args.part_size_mib * MiB
        self.env = {**os.environ, "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key}
        self.env.pop("UCS_API_URL", None)
        self.env["UCS_TOKEN"] = staff_token()

    def client(self, *args: str) -> list[str]:
        return [
            str(BIN / "upload-client"),
            *args,
            "--api-url",
            self.api_url,
            "--parallel",
            str(self.args.parallel),
        ]

    def boto3(self, operation: str, key: str, path: Path) -> list[str]:
        script = str(ROOT / "benchmarks" / "boto3_transfer.py")
        return [
            sys.executable, script, operation, self.s3.endpoint_url, self.bucket, key, str(path),
            str(self.part_size), str(self.args.parallel),
        ]  # fmt: skip

    def round(self, number: int, source: Path, sha256: str) -> list[Run]:
        file_id = f"bench-{number}"
        register(self.api_url, file_id, source.stat().st_size, sha256)
        copy = self.workdir / "copy.bin"
        steps = {
            "upload-client": [
                ("upload", self.client("upload", "--file-id", file_id, "--file-path", str(source), "--quiet")),
                ("download", self.client("download", "--file-id", file_id, "--output", str(copy), "--quiet",
                                         "--range-size", str(self.args.part_size_mib))),
            ],
            "boto3": [
                ("upload", self.boto3("upload", f"boto3/{file_id}", source)),
                ("download", self.boto3("download", f"boto3/{file_id}", copy)),
            ],
        }  # fmt: skip
        order = ["upload-client", "boto3"] if number % 2 == 0 else ["boto3", "upload-client"]
        runs = []
        for index in range(2):  # uploads first, then downloads; the two tools interleaved
            for tool in order:
                operation, command = steps[tool][index]
                runs.append(measure(tool, operation, command, self.env))
                print(f"  round {number + 1}: {tool:13} {operation:8} {runs[-1].wall:6.1f} s", flush=True)
                if operation == "download":
                    if sha256_of(copy) != sha256:
                        raise SystemExit(f"{tool} downloaded bytes that differ from the source")
                    copy.unlink()
        return runs


def register(api_url: str, file_id: str, size: int, sha256: str) -> None:
    requests.put(
        f"{api_url}/files/{file_id}", json={"size": size, "sha256": sha256}, headers=bearer(), timeout=10
    ).raise_for_status()


def table(runs: list[Run]) -> str:
    """Medians per tool and operation, and upload-client's ratios to boto3."""
    lines = [
        "| operation | tool | wall s | CPU s | peak RSS MiB |",
        "|---|---|---:|---:|---:|",
    ]
    medians = {}
    for operation in ("upload", "download"):
        for tool in ("upload-client", "boto3"):
            chosen = [r for r in runs if r.tool == tool and r.operation == operation]
            values = tuple(
                statistics.median(getattr(r, f) for r in chosen) for f in ("wall", "cpu", "peak_rss_mib")
            )
            medians[tool, operation] = values
            lines.append(f"| {operation} | {tool} | {values[0]:.1f} | {values[1]:.1f} | {values[2]:.1f} |")
        ours, theirs = medians["upload-client", operation], medians["boto3", operation]
        ratios = " | ".join(f"{a / b:.2f}" for a, b in zip(ours, theirs, strict=True))
        lines.append(f"| {operation} | ratio upload-client / boto3 | {ratios} |")
    return "\n".join(lines)


def flatness(args, workdir: Path, settings: dict, source: Path, sha256: str) -> str:
    """upload-client's upload peak RSS with 64 MiB parts for a quarter-size file and the full file."""
    quarter = workdir / "quarter.bin"
    with open(source, "rb") as data, open(quarter, "wb") as output:
        output.write(data.read(source.stat().st_size // 4))
    lines = [
        "| file size | part size | upload-client upload peak RSS MiB | wall s |",
        "|---:|---:|---:|---:|",
    ]
    with ucs_server(workdir / "ucs-64", **{**settings, "PART_SIZE": 64 * MiB}) as ucs:
        for number, (path, digest) in enumerate(((quarter, sha256_of(quarter)), (source, sha256))):
            file_id = f"flat-{number}"
            register(ucs.url, file_id, path.stat().st_size, digest)
            command = [str(BIN / "upload-client"), "upload", "--file-id", file_id, "--api-url", ucs.url,
                       "--file-path", str(path), "--quiet", "--parallel", str(args.parallel)]  # fmt: skip
            run = measure("upload-client", "upload", command, {**os.environ, "UCS_TOKEN": staff_token()})
            lines.append(
                f"| {path.stat().st_size // MiB} MiB | 64 MiB | {run.peak_rss_mib:.1f} | {run.wall:.1f} |"
            )
    quarter.unlink()
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--part-size-mib", type=int, default=16)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-flatness", action="store_true", help="skip the 64 MiB-part RSS check")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        workdir, s3, bucket = stack.enter_context(seaweedfs_in_temporary_directory("ucs-bench-", " and UCS"))
        settings = {**s3.settings(bucket), "PART_SIZE": args.part_size_mib * MiB}
        ucs = stack.enter_context(ucs_server(workdir / "ucs", **settings))
        source = workdir / "source.bin"
        print(f"writing a {args.size_mib} MiB random file", flush=True)
        sha256 = write_random_file(source, args.size_mib * MiB)
        bench = Bench(args, workdir, s3, bucket, ucs.url)
        print(
            f"{args.rounds} rounds: {args.size_mib} MiB, parts of {args.part_size_mib} MiB, "
            f"{args.parallel} in parallel, SeaweedFS at {s3.endpoint_url}",
            flush=True,
        )
        runs = [run for number in range(args.rounds) for run in bench.round(number, source, sha256)]
        print(f"\nmedians of {args.rounds} rounds\n")
        print(table(runs))
        if not args.no_flatness:
            print("\nupload-client peak RSS against file size\n")
            print(flatness(args, workdir, settings, source, sha256))


if __name__ == "__main__":
    main()

"""Benchmark: reading an object back to hash it, the validation reader against boto3's download_fileobj.

Run with `.venv/bin/python benchmarks/validation_read.py [--size-mib 256] [--readers 1,2,4,8]
[--range-size-mib 16] [--buffer-mib 1] [--rounds 3]` (--readers and --range-size-mib take lists: every
pair is one side). It starts SeaweedFS (`weed mini`) in a temporary directory, uploads
one random object with boto3, then reads it back, round after round: boto3's `download_fileobj` into a
SHA-256 sink (its default TransferConfig: 8 MiB ranges, 10 threads), and ucs.validation.reader's
digest_object with each --readers value. The sides are interleaved, their order rotating between rounds;
each runs in its own process (benchmarks/validation_read_side.py) measured by benchmarks/peak_rss.py, so
its wall time, CPU seconds (user + system) and peak RSS are its own, and each checks the SHA-256 it got.
SeaweedFS's own CPU seconds during each run are read from /proc. One core's plain hashlib.sha256 speed is
measured first, for reference. Everything is deleted at the end. This is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measured import measured, seaweedfs_in_temporary_directory  # noqa: E402
from scripts.local_runs import MiB, write_random_file  # noqa: E402
from tests.support.s3_servers import S3Server  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    side: str
    wall: float
    cpu: float
    peak_rss_mib: float
    store_cpu: float


def sha256_speed(megabytes: int = 512) -> float:
    """One core's hashlib.sha256 throughput in MB/s, over 1 MiB chunks already in memory."""
    chunk = os.urandom(MiB)
    sha256 = hashlib.sha256()
    began = time.perf_counter()
    for _ in range(megabytes):
        sha256.update(chunk)
    return megabytes * MiB / (time.perf_counter() - began) / 1e6


def cpu_seconds_of(pids: list[int]) -> float:
    """User + system CPU seconds the processes used so far (fields 14 and 15 of /proc/PID/stat)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def store_pids(workdir: Path) -> list[int]:
    """The weed processes this benchmark started (their command line names its directory)."""
    pids = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and str(workdir) in (entry / "cmdline").read_text():
                pids.append(int(entry.name))
    return pids


class Bench:
    def __init__(self, args, s3: S3Server, bucket: str, sha256: str, weed: list[int]):
        self.args = args
        self.s3 = s3
        self.bucket = bucket
        self.sha256 = sha256
        self.weed = weed
        self.env = {**os.environ, "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key}

    def sides(self) -> list[str]:
        pairs = [(readers, size) for size in self.args.range_size_mib for readers in self.args.readers]
        return ["boto3", *(f"reader {readers} x {size} MiB" for readers, size in pairs)]

    def command(self, side: str) -> list[str]:
        script = str(ROOT / "benchmarks" / "validation_read_side.py")
        common = [self.s3.endpoint_url, self.bucket, "object", self.sha256]
        if side == "boto3":
            return [sys.executable, script, "boto3", *common]
        readers, _, size = side.removeprefix("reader ").removesuffix(" MiB").partition(" x ")
        sizes = [str(int(size) * MiB), str(self.args.buffer_mib * MiB)]
        return [sys.executable, script, "reader", *common, readers, *sizes]

    def measure(self, side: str) -> Run:
        store_before = cpu_seconds_of(self.weed)
        result = measured(side, self.command(side), self.env)
        store_cpu = cpu_seconds_of(self.weed) - store_before
        return Run(side, result["wall"], result["cpu"], result["peak_rss_mib"], store_cpu)

    def round(self, number: int) -> list[Run]:
        sides = self.sides()
        shift = number % len(sides)
        runs = []
        for side in sides[shift:] + sides[:shift]:
            runs.append(self.measure(side))
            run = runs[-1]
            print(
                f"  round {number + 1}: {side:18} {run.wall:6.2f} s  {self.mb_per_s(run.wall):7.1f} MB/s  "
                f"CPU {run.cpu:5.2f} s  RSS {run.peak_rss_mib:5.1f} MiB  store CPU {run.store_cpu:5.2f} s",
                flush=True,
            )
        return runs

    def mb_per_s(self, wall: float) -> float:
        return self.args.size_mib * MiB / wall / 1e6

    def table(self, runs: list[Run]) -> str:
        lines = [
            "| side | wall s | MB/s | CPU s | peak RSS MiB | SeaweedFS CPU s | throughput / boto3 | CPU / boto3 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        medians = {}
        for side in self.sides():
            chosen = [run for run in runs if run.side == side]
            medians[side] = [
                statistics.median(getattr(run, name) for run in chosen)
                for name in ("wall", "cpu", "peak_rss_mib", "store_cpu")
            ]
        boto3_wall, boto3_cpu = medians["boto3"][0], medians["boto3"][1]
        for side, (wall, cpu, rss, store_cpu) in medians.items():
            lines.append(
                f"| {side} | {wall:.2f} | {self.mb_per_s(wall):.0f} | {cpu:.2f} | {rss:.1f} | {store_cpu:.2f} "
                f"| {boto3_wall / wall:.2f} | {cpu / boto3_cpu:.2f} |"
            )
        return "\n".join(lines)


def upload(s3: S3Server, bucket: str, path: Path) -> None:
    from boto3.s3.transfer import TransferConfig

    s3.client().upload_file(str(path), bucket, "object", Config=TransferConfig(multipart_chunksize=16 * MiB))


def numbers(text: str) -> list[int]:
    """A comma-separated list of positive integers, as --readers 1,2,4,8 takes them."""
    values = [int(value) for value in text.split(",")]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, not {text!r}")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--readers", type=numbers, default=[1, 2, 4, 8])
    parser.add_argument("--range-size-mib", type=numbers, default=[16])
    parser.add_argument("--buffer-mib", type=int, default=1, help="how far each reader may run ahead")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    print(f"one core's hashlib.sha256: {sha256_speed():.0f} MB/s", flush=True)
    print(f"load average at the start: {' '.join(f'{n:.2f}' for n in os.getloadavg())}", flush=True)
    with seaweedfs_in_temporary_directory("ucs-bench-validation-") as (workdir, s3, bucket):
        source = workdir / "source.bin"
        print(f"uploading a {args.size_mib} MiB random object", flush=True)
        sha256 = write_random_file(source, args.size_mib * MiB)
        upload(s3, bucket, source)
        source.unlink()
        bench = Bench(args, s3, bucket, sha256, store_pids(workdir))
        print(
            f"{args.rounds} rounds, {len(bench.sides())} sides each; buffer {args.buffer_mib} MiB", flush=True
        )
        runs = [run for number in range(args.rounds) for run in bench.round(number)]
        print(f"\nmedians of {args.rounds} rounds, {args.size_mib} MiB object on SeaweedFS\n")
        print(bench.table(runs))
        print(f"\nload average at the end: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")


if __name__ == "__main__":
    main()

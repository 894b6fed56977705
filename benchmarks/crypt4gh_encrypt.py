"""Benchmark: encrypting a file part by part in threads (upload_client.crypt4gh) against `crypt4gh encrypt`.

Run with `.venv/bin/python benchmarks/crypt4gh_encrypt.py [--size-mib 256] [--rounds 5] [--dir DIR]`.
It writes a random file (under DIR, default the system's temporary directory) and a key pair, then each
round runs every method once as its own process, the order rotating from round to round:

- "crypt4gh encrypt": the reference tool, `crypt4gh encrypt --recipient_pk PUB < FILE > /dev/null`;
- "ucs, N thread(s)": this script with --encrypt: the file cut into 16 MiB parts (256 segments), each part
  encrypted on its own by encrypt_range in a pool of N threads, as the client's workers would, the
  ciphertext written to /dev/null.

Both read the file from the page cache (one warm-up read first) and pay their interpreter's start-up,
which each round also measures on an empty file. It prints the median wall time, throughput and CPU time
(user + system) of each method, its start-up's median wall, and the load of the machine before and after,
since other processes share its cores. This is not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.local_runs import MiB, write_random_file  # noqa: E402
from upload_client.crypt4gh.envelope import new_envelope  # noqa: E402
from upload_client.crypt4gh.key_files import read_public_key, write_public_key, write_secret_key  # noqa: E402
from upload_client.crypt4gh.keys import SecretKey  # noqa: E402
from upload_client.crypt4gh.layout import encrypted_parts, segments_per_part  # noqa: E402
from upload_client.crypt4gh.segments import encrypt_range  # noqa: E402

BIN = Path(sys.executable).parent


def encrypt_file(path: str, public_key_path: str, threads: int) -> None:
    """What the client's workers do, minus the network: every part encrypted on its own, in parallel."""
    envelope = new_envelope(read_public_key(public_key_path))
    size = os.path.getsize(path)
    source = os.open(path, os.O_RDONLY)
    sink = os.open(os.devnull, os.O_WRONLY)

    def encrypt_part(part) -> None:
        for block in encrypt_range(source, part.plaintext.offset, part.plaintext.size, envelope.data_key):
            os.write(sink, block)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(encrypt_part, encrypted_parts(size, segments_per_part(size))))
    os.write(sink, envelope.header)


def timed(command: list[str], stdin: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of command, in its own process (benchmarks/measured.py)."""
    # Imported here, not by the --encrypt child whose start-up is measured: measured.py loads boto3.
    from benchmarks.measured import measured

    result = measured(command[0], command, dict(os.environ), stdin)
    return result["wall"], result["cpu"]


def machine_load() -> str:
    busiest = subprocess.run(
        ["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"], capture_output=True, text=True
    ).stdout.splitlines()[:5]
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"load average {load}; busiest: " + ", ".join(" ".join(line.split()) for line in busiest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", default=None)
    parser.add_argument(
        "--encrypt", nargs=3, metavar=("PATH", "PUBLIC_KEY", "THREADS"), help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()
    if arguments.encrypt:
        path, public_key, threads = arguments.encrypt
        encrypt_file(path, public_key, int(threads))
        return

    with tempfile.TemporaryDirectory(dir=arguments.dir) as directory:
        source, public = Path(directory) / "source", Path(directory) / "archive.pub"
        empty = Path(directory) / "empty"
        empty.touch()
        key = SecretKey.generate()
        write_secret_key(Path(directory) / "archive.sec", key, None)
        write_public_key(public, key.public_key)
        write_random_file(source, arguments.size_mib * MiB)
        source.read_bytes()  # into the page cache

        script = str(Path(__file__).resolve())
        reference = [str(BIN / "crypt4gh"), "encrypt", "--recipient_pk", str(public)]
        ours = [sys.executable, script, "--encrypt"]
        # Each method: the command for the file, and the same command for the empty file.
        methods = {
            "crypt4gh encrypt": ((reference, source), (reference, empty)),
            "ucs, 1 thread": (
                ([*ours, str(source), str(public), "1"], None),
                ([*ours, str(empty), str(public), "1"], None),
            ),
            "ucs, 2 threads": (
                ([*ours, str(source), str(public), "2"], None),
                ([*ours, str(empty), str(public), "2"], None),
            ),
        }
        print(f"{arguments.size_mib} MiB, {arguments.rounds} rounds; before: {machine_load()}", flush=True)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
        startups: dict[str, list[float]] = {name: [] for name in methods}
        names = list(methods)
        for round_number in range(arguments.rounds):
            order = names[round_number % len(names) :] + names[: round_number % len(names)]
            for name in order:
                whole, start_up = methods[name]
                results[name].append(timed(*whole))
                startups[name].append(timed(*start_up)[0])
            walls = ", ".join(f"{name} {results[name][-1][0]:.2f} s" for name in names)
            print(f"round {round_number + 1}: {walls}", flush=True)
        print(f"after: {machine_load()}")
        print("| method | median wall | throughput | median CPU | start-up (empty file) |")
        print("|---|---|---|---|---|")
        for name in names:
            wall = statistics.median(result[0] for result in results[name])
            cpu = statistics.median(result[1] for result in results[name])
            rate = arguments.size_mib * MiB / wall / 1e6
            start_up = statistics.median(startups[name])
            print(f"| {name} | {wall:.2f} s | {rate:.0f} MB/s | {cpu:.2f} s | {start_up:.2f} s |")


if __name__ == "__main__":
    main()

"""Benchmark: how long the filesystem store takes to assemble a multipart object from its parts.

Run with `.venv/bin/python benchmarks/filesystem_assembly.py [--parts 32] [--part-size-mib 64]
[--rounds 3] [--dir DIR]`. It stores the parts once through FilesystemBackend.write_part in a temporary
directory (under DIR, default the system's), then completes one upload per round and method, each
upload's part files hard links to the stored ones, so every round assembles the same bytes:

- "read/write": os.copy_file_range hidden, so assembly reads and writes 1 MiB at a time through Python,
  which is what the store did before it used copy_file_range;
- "copy_file_range": the store as it is, the parts copied inside the kernel.

The methods alternate (the first one changes each round); os.sync() runs before each timed completion
so one round's writeback does not slow the next. The parts stay in the page cache throughout, as they do
in a store that has just received them. Everything is deleted at the end. This is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ucs_plugins.filesystem import FilesystemBackend  # noqa: E402
from ucs_plugins.filesystem.signing import UrlSigner  # noqa: E402

MiB = 1024 * 1024
KEY = "benchmark/object"


@contextlib.contextmanager
def read_write_only() -> Iterator[None]:
    """The store without copy_file_range, as on a system that lacks it."""
    with mock.patch.object(
        os, "copy_file_range", side_effect=OSError(errno.ENOSYS, "hidden by the benchmark")
    ):
        yield


def store_parts(backend: FilesystemBackend, count: int, size: int) -> tuple[str, list[tuple[int, str]]]:
    upload_id = backend.create_multipart_upload(KEY)
    block = os.urandom(size)
    etags = [(n, backend.write_part(upload_id, n, io.BytesIO(block), size)) for n in range(1, count + 1)]
    return upload_id, etags


def upload_linked_to(backend: FilesystemBackend, stored_upload: str) -> str:
    """A new upload whose part files are hard links to the stored upload's: no bytes are copied."""
    upload_id = backend.create_multipart_upload(KEY)
    source = backend.upload_dir(stored_upload)
    for part in source.iterdir():
        if part.name != "key":
            os.link(part, backend.upload_dir(upload_id) / part.name)
    return upload_id


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_completion(
    backend: FilesystemBackend, upload_id: str, etags: list[tuple[int, str]]
) -> tuple[float, float]:
    os.sync()
    began, cpu = time.monotonic(), cpu_seconds()
    backend.complete_multipart_upload(KEY, upload_id, etags)
    wall, cpu = time.monotonic() - began, cpu_seconds() - cpu
    backend.object_path(KEY).unlink()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=32)
    parser.add_argument("--part-size-mib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where the temporary store goes (its filesystem matters)")
    args = parser.parse_args()
    total = args.parts * args.part_size_mib * MiB
    with tempfile.TemporaryDirectory(prefix="ucs-assembly-", dir=args.dir) as root:
        backend = FilesystemBackend(root, UrlSigner(b"benchmark" * 4), "http://127.0.0.1")
        print(f"storing {args.parts} parts of {args.part_size_mib} MiB ({total / 1024**3:.2f} GiB) in {root}")
        stored, etags = store_parts(backend, args.parts, args.part_size_mib * MiB)
        methods = {"read/write": read_write_only, "copy_file_range": contextlib.nullcontext}
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
        for round_no in range(args.rounds):
            order = list(methods) if round_no % 2 == 0 else list(reversed(methods))
            for name in order:
                upload_id = upload_linked_to(backend, stored)
                with methods[name]():
                    results[name].append(timed_completion(backend, upload_id, etags))
                wall, cpu = results[name][-1]
                print(f"round {round_no + 1} {name:>16}: {wall:6.2f} s wall, {cpu:6.2f} s CPU")
        shutil.rmtree(backend.upload_dir(stored))
    print(f"\nmedian of {args.rounds} rounds, {total / 1024**3:.2f} GiB in {args.parts} parts:")
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:>16}: {wall:6.2f} s wall ({total / wall / 1024**3:5.2f} GiB/s), {cpu:6.2f} s CPU")


if __name__ == "__main__":
    main()

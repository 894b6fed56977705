"""The filesystem store's 10,000-part completion through the API, in process: wall time, and a profile.

Each round builds a UCS app on a fresh SQLite file and filesystem root (UCS_PART_SIZE=1, so a
10,000-byte file has 10,000 parts), writes the part files as the store names them, `os.sync()`s, and times the
`PATCH /multipart_uploads/U {"status": "uploaded", "parts": [...]}` request through Flask's test client
with a staff token. --baseline DIR runs the same rounds on the code in DIR (an unpacked `git archive`),
taking turns with this checkout, each round in a process of its own; medians are reported.

    .venv/bin/python benchmarks/filesystem_completion.py [--parts 10000] [--rounds 5] [--baseline DIR]
    .venv/bin/python benchmarks/filesystem_completion.py --profile completion.prof  # one round, cProfile
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", metavar="DIR", help="Also time the code in DIR, rounds interleaved.")
    parser.add_argument("--profile", metavar="FILE", help="One round in this process, cProfile into FILE.")
    parser.add_argument("--code", metavar="DIR", help=argparse.SUPPRESS)  # a child's checkout
    args = parser.parse_args()
    if args.code or args.profile:
        print(json.dumps(one_round(Path(args.code or HERE.parent.parent), args.parts, args.profile)))
        return 0
    checkouts = {"this checkout": HERE.parent.parent}
    if args.baseline:
        checkouts = {"baseline": Path(args.baseline).resolve(), **checkouts}
    walls: dict[str, list[float]] = {name: [] for name in checkouts}
    for number in range(1, args.rounds + 1):
        for name, code in checkouts.items():
            command = [sys.executable, str(HERE), "--parts", str(args.parts), "--code", str(code)]
            finished = subprocess.run(command, capture_output=True, text=True, cwd=code)
            if finished.returncode != 0:
                raise SystemExit(f"{name} failed: {finished.stderr[-3000:]}")
            wall = json.loads(finished.stdout.splitlines()[-1])["wall"]
            walls[name].append(wall)
            print(
                f"round {number}/{args.rounds}, {name}: {wall:.3f} s (load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
    for name, values in walls.items():
        rounds = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {name} | median {statistics.median(values):.3f} s | rounds {rounds} |")
    return 0


def one_round(code: Path, parts: int, profile: str | None) -> dict:
    sys.path.insert(0, str(code))
    from tests.support.apps import build_app
    from tests.support.databases import migrate
    from tests.support.tokens import staff_client
    from ucs_plugins.filesystem.parts import part_file

    with tempfile.TemporaryDirectory(prefix="ucs-completion-") as directory:
        work = Path(directory)
        database = f"sqlite:///{work}/ucs.sqlite3"
        migrate(database, str(work / "instance"))
        settings = {"STORAGE_BACKEND": "filesystem", "FILESYSTEM_ROOT": str(work / "storage")}
        app = build_app(work / "instance", DATABASE_URL=database, PART_SIZE=1, **settings)
        client = staff_client(app)
        assert client.put("/files/bench", json={"size": parts}).status_code in (200, 201)
        started = client.post("/files/bench/multipart_uploads", json={})
        assert started.status_code == 201, started.text
        upload_id = started.json["upload_id"]
        # The part files as write_part leaves them, written directly: write_part would take minutes here.
        directory = app.extensions["ucs.storage"].upload_dir(upload_id)
        digest = hashlib.md5(b"x", usedforsecurity=False).hexdigest()
        for number in range(1, parts + 1):
            part_file(directory, number, digest).write_bytes(b"x")
        listed = [{"part_no": number, "etag": f'"{digest}"'} for number in range(1, parts + 1)]
        os.sync()
        body = {"status": "uploaded", "parts": listed}
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        began = time.perf_counter()
        done = client.patch(f"/multipart_uploads/{upload_id}", json=body)
        wall = time.perf_counter() - began
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        assert done.status_code == 204, done.text
        return {"wall": wall}


if __name__ == "__main__":
    sys.exit(main())

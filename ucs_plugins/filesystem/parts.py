"""The files of an upload's stored parts: <number>.<md5>, several copies of a re-sent part, the newest wins."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

PART_FILE = re.compile(r"^(\d{5})\.([0-9a-f]{32})$")


def part_file(directory: Path, part_no: int, md5: str) -> Path:
    """Where part part_no with this MD5 is kept; a part sent twice keeps both copies until one wins."""
    return directory / f"{part_no:05d}.{md5}"


def newest_parts(directory: Path) -> Iterator[tuple[int, str, Path, int]]:
    """(number, md5, path, size) of the stored parts in order; of a part stored twice, its newest copy."""
    newest: dict[int, tuple[int, str, Path, int]] = {}
    for path in directory.iterdir():
        match = PART_FILE.fullmatch(path.name)
        if match:
            try:
                stat = path.stat()
            except FileNotFoundError:  # replaced by a newer copy meanwhile
                continue
            number = int(match.group(1))
            if number not in newest or stat.st_mtime_ns > newest[number][0]:
                newest[number] = (stat.st_mtime_ns, match.group(2), path, stat.st_size)
    for number in sorted(newest):
        _, md5, path, size = newest[number]
        yield number, md5, path, size


def drop_older_copies(final: Path) -> None:
    """Remove earlier copies of a re-sent part.

    Only strictly older ones: when two PUTs of one part race, each keeps the other's copy if it is
    newer, so the newest survives, which is the one newest_parts picks.
    """
    newest = final.stat().st_mtime_ns
    for path in final.parent.glob(f"{final.name[:5]}.*"):
        with contextlib.suppress(FileNotFoundError):
            if path != final and path.stat().st_mtime_ns < newest:
                path.unlink()

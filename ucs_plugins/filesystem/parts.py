"""The files of an upload's stored parts: <number>.<md5>, several copies of a re-sent part, the newest wins."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

PART_FILE = re.compile(r"^(\d{5})\.([0-9a-f]{32})$")


def part_file(directory: Path, part_no: int, md5: str) -> Path:
    """Where part part_no with this MD5 is kept; a part sent twice keeps both copies until one wins."""
    return directory / f"{part_no:05d}.{md5}"


def newest_parts(directory: Path) -> Iterator[tuple[int, str, str, int]]:
    """(number, md5, path, size) of the stored parts in order; of a part stored twice, its newest copy."""
    for number, copies in sorted(part_copies(directory).items()):
        newest = _newest(copies)
        if newest is not None:
            stat, md5, path = newest
            yield number, md5, path, stat.st_size


def newest_part_files(directory: Path) -> dict[int, tuple[str, str]]:
    """{number: (md5, path)} of the stored parts, as newest_parts picks them.

    Without the sizes, a part stored once needs no stat: only the copies of a re-sent part are compared.
    """
    newest = {}
    for number, copies in part_copies(directory).items():
        if len(copies) == 1:
            newest[number] = copies[0]
        elif (found := _newest(copies)) is not None:
            newest[number] = found[1:]
    return newest


def part_copies(directory: Path) -> dict[int, list[tuple[str, str]]]:
    """{number: [(md5, path), ...]} of every part file, read from one listing of the directory."""
    copies: dict[int, list[tuple[str, str]]] = {}
    with os.scandir(directory) as entries:
        for entry in entries:
            match = PART_FILE.fullmatch(entry.name)
            if match:
                # Paths as strings: a Path per part cost more than the listing itself.
                copies.setdefault(int(match.group(1)), []).append((match.group(2), entry.path))
    return copies


def _newest(copies: list[tuple[str, str]]) -> tuple[os.stat_result, str, str] | None:
    """The copy written last, with its stat; None when all were replaced by a newer copy meanwhile."""
    newest = None
    for md5, path in copies:
        try:
            stat = os.stat(path)
        except FileNotFoundError:  # replaced by a newer copy meanwhile
            continue
        if newest is None or stat.st_mtime_ns > newest[0].st_mtime_ns:
            newest = (stat, md5, path)
    return newest


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

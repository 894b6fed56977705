"""PATH.part.json: which ranges of a download are on disk, for which object, saved after every range."""

from __future__ import annotations

import bisect
import json
import threading
from pathlib import Path

from upload_client.os_files import discard, write_atomically


class Journal:
    """Which ranges of PATH.part are complete, saved atomically beside it after each range.

    Finished ranges are stored as intervals of range numbers: ranges finish roughly in order, so the
    journal stays a few bytes long even for the 600,000 ranges of a 10 TiB file. The intervals are kept
    up to date range by range, so saving costs the same for the last range as for the first.
    """

    def __init__(self, path: Path, identity: dict):
        self.path = path
        self.identity = identity
        self.done: set[int] = set()
        self._intervals: list[list[int]] = []
        self._lock = threading.Lock()

    def load(self) -> bool:
        """Read the journal; false when there is none, it is damaged, or it belongs to another object or range size."""
        try:
            saved = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return False
        if not isinstance(saved, dict) or saved.get("identity") != self.identity:
            return False
        ranges = -(-self.identity["size"] // self.identity["range_size"])
        try:
            done = {
                number for first, last in saved.get("done", []) for number in _checked(first, last, ranges)
            }
        except (TypeError, ValueError):
            return False
        self.done, self._intervals = done, intervals(done)
        return True

    def forget(self) -> None:
        """Start afresh: no range is finished."""
        self.done, self._intervals = set(), []

    def mark_done(self, number: int) -> None:
        with self._lock:
            self.done.add(number)
            add_to_intervals(self._intervals, number)
            write_atomically(self.path, json.dumps({"identity": self.identity, "done": self._intervals}))

    def remove(self) -> None:
        discard(self.path)


def _checked(first: int, last: int, ranges: int) -> range:
    """The range numbers first..last, refused unless they are whole numbers within 1..ranges."""
    if not (type(first) is int and type(last) is int and 1 <= first <= last <= ranges):
        raise ValueError(f"[{first}, {last}] is not an interval of 1..{ranges}")
    return range(first, last + 1)


def intervals(numbers: set[int]) -> list[list[int]]:
    """[[first, last], ...] covering the numbers: {1, 2, 3, 7} gives [[1, 3], [7, 7]]."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        add_to_intervals(runs, number)
    return runs


def add_to_intervals(runs: list[list[int]], number: int) -> None:
    """Add number to sorted, separate intervals [[first, last], ...], joining the neighbours it touches."""
    index = bisect.bisect_right(runs, number, key=lambda run: run[0])  # runs[:index] start at or before it
    before = runs[index - 1] if index else None
    after = runs[index] if index < len(runs) else None
    if before is not None and before[1] >= number:
        return  # already there
    joins_before = before is not None and before[1] == number - 1
    joins_after = after is not None and after[0] == number + 1
    if joins_before and joins_after:
        before[1] = after[1]
        del runs[index]
    elif joins_before:
        before[1] = number
    elif joins_after:
        after[0] = number
    else:
        runs.insert(index, [number, number])

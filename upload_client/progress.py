"""What the user sees while a transfer runs: a tqdm bar, and a summary line at the end."""

from __future__ import annotations

import sys
import threading

from tqdm import tqdm

from upload_client.transfer import TransferSubscriber


class ProgressBar(TransferSubscriber):
    """Bytes, rate and ETA on stderr; drawn only when stderr is a terminal and not --quiet."""

    def __init__(self, description: str, quiet: bool = False):
        self.description = description
        self.enabled = not quiet and sys.stderr.isatty()
        self._bar: tqdm | None = None
        self._lock = threading.Lock()

    def on_start(self, total_bytes: int, done_bytes: int) -> None:
        if self.enabled:
            self._bar = tqdm(
                total=total_bytes,
                initial=done_bytes,
                desc=self.description,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                dynamic_ncols=True,
                file=sys.stderr,
            )

    def on_progress(self, bytes_transferred: int) -> None:
        if self._bar is not None:
            with self._lock:  # workers report from several threads
                self._bar.update(bytes_transferred)

    def on_retry(self, what: str, reason: str, attempt: int) -> None:
        if self._bar is not None:
            self._bar.write(f"retrying {what} (attempt {attempt} failed: {reason})", file=sys.stderr)

    def on_done(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def human_size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.2f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def summary(verb: str, size: int, seconds: float, sha256: str) -> str:
    rate = size / seconds / 1e6 if seconds > 0 else 0.0
    return f"{verb} {human_size(size)} in {seconds:.1f} s ({rate:.1f} MB/s), sha256 {sha256}"

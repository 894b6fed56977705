"""What the user sees while a transfer runs: a tqdm bar, and a summary line at the end."""

from __future__ import annotations

import sys
import threading

from tqdm import tqdm

from upload_client.subscribers import TransferSubscriber


class ProgressBar(TransferSubscriber):
    """A bar per phase (bytes, rate, ETA) on stderr, drawn only on a terminal; notes on stdout unless quiet."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.enabled = not quiet and sys.stderr.isatty()
        self._bar: tqdm | None = None
        self._lock = threading.Lock()

    def on_start(self, total_bytes: int, done_bytes: int, phase: str) -> None:
        if self.enabled:
            with self._lock:
                self._bar = tqdm(
                    total=total_bytes,
                    initial=done_bytes,
                    desc=phase,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    dynamic_ncols=True,
                    file=sys.stderr,
                )

    def on_progress(self, bytes_transferred: int) -> None:
        with self._lock:  # workers report from several threads
            if self._bar is not None:
                self._bar.update(bytes_transferred)

    def on_retry(self, what: str, reason: str, attempt: int) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.write(f"retrying {what} (attempt {attempt} failed: {reason})", file=sys.stderr)

    def on_done(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def on_note(self, text: str) -> None:
        if not self.quiet:
            tqdm.write(text, file=sys.stdout)  # above the bar, when one is drawn


def human_size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.2f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def summary(verb: str, size: int, seconds: float, sha256: str) -> str:
    rate = size / seconds / 1e6 if seconds > 0 else 0.0
    return f"{verb} {human_size(size)} in {seconds:.1f} s ({rate:.1f} MB/s), sha256 {sha256}"

"""What a transfer reports as it runs: subscriber callbacks, as in s3transfer, and bytes counted once.

The CLI's progress bar (upload_client.progress) is one subscriber; tests record events with another.
"""

from __future__ import annotations

from collections.abc import Callable


class TransferSubscriber:
    """Receives a transfer's events; override what you need (the defaults do nothing)."""

    def on_start(self, total_bytes: int, done_bytes: int, phase: str) -> None:
        """A phase begins ("upload", "verifying stored parts", ...): total_bytes in all, done_bytes already."""

    def on_progress(self, bytes_transferred: int) -> None:
        """More bytes were sent or received; across retries each byte is reported once."""

    def on_retry(self, what: str, reason: str, attempt: int) -> None:
        """An attempt at `what` failed for `reason` and will be tried again."""

    def on_done(self) -> None:
        """The phase ended, successfully or not."""

    def on_note(self, text: str) -> None:
        """A line for the person watching, e.g. what a resume reuses, or what a long step is doing."""


class ByteCounter:
    """Reports the bytes of one part to the subscribers once, however many attempts the part takes."""

    def __init__(self, report: Callable[[int], None]):
        self._report = report
        self._position = 0
        self._reported = 0

    def restart(self) -> None:
        self._position = 0

    def advance(self, count: int) -> None:
        self._position += count
        if self._position > self._reported:
            self._report(self._position - self._reported)
            self._reported = self._position

"""A TransferSubscriber that records what the upload-client's engine reports, for unit tests."""

from __future__ import annotations

import threading

from upload_client.subscribers import TransferSubscriber


class Recorder(TransferSubscriber):
    """Every event, in order: phases with their totals, bytes per phase, retries and notes."""

    def __init__(self):
        self.phases: list[tuple[str, int, int]] = []
        self.progress = 0
        #: Bytes reported inside each phase, by phase name.
        self.progress_by_phase: dict[str, int] = {}
        self.retries: list[tuple[str, str, int]] = []
        self.notes: list[str] = []
        self.events: list[str] = []
        self._phase: str | None = None
        self._lock = threading.Lock()

    def on_start(self, total_bytes, done_bytes, phase):
        self.phases.append((phase, total_bytes, done_bytes))
        self.events.append(f"start {phase}")
        self._phase = phase

    def on_progress(self, bytes_transferred):
        with self._lock:  # workers report from several threads
            self.progress += bytes_transferred
            phase = self._phase or "(no phase)"
            self.progress_by_phase[phase] = self.progress_by_phase.get(phase, 0) + bytes_transferred

    def on_retry(self, what, reason, attempt):
        self.retries.append((what, reason, attempt))

    def on_done(self):
        self.events.append(f"done {self._phase}")
        self._phase = None

    def on_note(self, text):
        self.notes.append(text)
        self.events.append(f"note {text}")

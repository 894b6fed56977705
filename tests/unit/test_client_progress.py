"""What the user sees: sizes, the summary line, and a bar only on a terminal."""

from __future__ import annotations

import io
import sys

from upload_client.progress import ProgressBar, human_size, summary


def test_human_size():
    assert human_size(512) == "512 B"
    assert human_size(5 * 1024 * 1024 + 512 * 1024) == "5.50 MiB"
    assert human_size(3 * 1024**4) == "3.00 TiB"


def test_summary_has_size_time_rate_and_sha256():
    line = summary("uploaded f:", 100_000_000, 2.0, "ab" * 32)
    assert line == f"uploaded f: 95.37 MiB in 2.0 s (50.0 MB/s), sha256 {'ab' * 32}"


def test_no_bar_off_a_terminal_but_notes_still_print(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    bar = ProgressBar()
    bar.on_start(100, 0, "verifying stored parts")
    bar.on_progress(50)
    bar.on_done()
    bar.on_note("resuming: 1 of 2 parts already stored (50 B), 1 to send")
    assert not bar.enabled
    assert sys.stderr.getvalue() == ""
    assert sys.stdout.getvalue() == "resuming: 1 of 2 parts already stored (50 B), 1 to send\n"


def test_quiet_shows_neither_bar_nor_notes(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    bar = ProgressBar(quiet=True)
    bar.on_note("resuming")
    assert not bar.enabled
    assert sys.stdout.getvalue() == ""

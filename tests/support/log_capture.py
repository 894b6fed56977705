"""Capture the log lines a test's in-process app writes, formatted exactly as UCS writes them."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator

from ucs.observability.logs import UcsFormatter
from ucs.observability.request_id import RequestIdFilter


class CapturedLog:
    def __init__(self, stream: io.StringIO):
        self.stream = stream

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def records(self) -> list[dict]:
        """The JSON lines as dictionaries."""
        return [json.loads(line) for line in self.lines()]

    def find(self, logger: str, **fields) -> list[dict]:
        """The lines of logger whose fields include these."""
        return [r for r in self.records() if r["logger"] == logger and fields.items() <= r.items()]


@contextlib.contextmanager
def captured_log(log_format: str = "json") -> Iterator[CapturedLog]:
    """Every INFO and higher line written to the root logger while the block runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(UcsFormatter(log_format))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield CapturedLog(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

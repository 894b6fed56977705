"""What the `ucs` commands share: problems that stop them at start are one line, never a traceback; their
log set-up; the signals that stop the long-running ones."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import click
from flask import Flask, current_app

from ucs.app import STARTUP_ERRORS
from ucs.db.schema import ensure_schema
from ucs.observability import logs


def schema_checked(app: Flask) -> None:
    """Stop the command with one line unless the database is reachable and current (migrating SQLite)."""
    try:
        ensure_schema(app)
    except STARTUP_ERRORS as error:
        raise click.ClickException(str(error)) from None


def configure_logs() -> None:
    """Log lines in the format and at the level the settings ask for, as the server writes them."""
    logs.configure(current_app.config["LOG_FORMAT"], current_app.config["LOG_LEVEL"])


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT, so a long-running command finishes its message and exits."""
    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

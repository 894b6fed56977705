"""What the `ucs` commands share: problems that stop them at start are one line, never a traceback (the
database's and the store's); their log set-up; the signals that stop the long-running ones."""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import threading
from collections.abc import Callable, Iterator

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ucs.app import STARTUP_ERRORS
from ucs.db.schema import ensure_schema
from ucs.observability import logs
from ucs.plugins import current_storage
from ucs.storage import StorageError

log = logging.getLogger(__name__)


def schema_checked(app: Flask) -> None:
    """Stop the command with one line unless the database is reachable and current (migrating SQLite)."""
    if not logging.getLogger().handlers:
        # Otherwise alembic's env.py sets up logging of its own, and its INFO lines precede the output.
        configure_logs()
    try:
        migrated = ensure_schema(app)
    except STARTUP_ERRORS as error:
        raise click.ClickException(str(error)) from None
    if migrated:  # alembic's own lines are off (ucs/observability/logs.py): one line says it
        before, after = migrated
        log.info("database: migrated from schema revision %s to %s", before or "none (empty)", after)


def with_current_schema(command: Callable) -> Callable:
    """Run the command in the app's context, once the database is reachable and current."""

    @with_appcontext
    @functools.wraps(command)
    def checked(*args, **kwargs):
        schema_checked(current_app._get_current_object())
        return command(*args, **kwargs)

    return checked


def store_checked(app: Flask) -> None:
    """Stop a server with one line unless its object store answers, as /health asks it; unless the store
    comes up after UCS (UCS_STORAGE_CHECK_AT_START=false)."""
    if not app.config["STORAGE_CHECK_AT_START"]:
        return
    try:
        current_storage(app).check()
    except StorageError as error:
        raise click.ClickException(
            f"the object store (UCS_STORAGE_BACKEND={app.config['STORAGE_BACKEND']}) does not answer: "
            f"{error}. Check its settings (docs/configuration.md), or set UCS_STORAGE_CHECK_AT_START=false "
            "where the store starts after UCS"
        ) from None


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

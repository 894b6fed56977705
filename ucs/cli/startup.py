"""What the `ucs` commands share at start: problems that stop them are one line, never a traceback."""

from __future__ import annotations

import click
from flask import Flask

from ucs.app import STARTUP_ERRORS
from ucs.db.schema import ensure_schema


def schema_checked(app: Flask) -> None:
    """Stop the command with one line unless the database is reachable and current (migrating SQLite)."""
    try:
        ensure_schema(app)
    except STARTUP_ERRORS as error:
        raise click.ClickException(str(error)) from None

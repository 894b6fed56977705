"""`ucs serve`: the production server, gunicorn with the settings shipped in ucs/cli/gunicorn_config.py."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ucs.cli.startup import schema_checked
from ucs.db.base import db
from ucs.observability import logs


@click.command("serve")
@click.option(
    "--bind",
    default="127.0.0.1:8000",
    show_default=True,
    help="Address to listen on: HOST:PORT (0.0.0.0:8000 for every interface) or unix:PATH.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes, 4 threads each.  [default: 2 x cores + 1]",
)
@with_appcontext
def serve_command(bind: str, workers: int | None) -> None:
    """Serve UCS in production: gunicorn workers, JSON logs, /metrics across workers (docs/operations.md)."""
    app = current_app._get_current_object()
    # JSON unless the operator chose: for this process's lines (a migration) and, inherited, gunicorn's.
    os.environ.setdefault("UCS_LOG_FORMAT", "json")
    logs.configure(os.environ["UCS_LOG_FORMAT"], app.config["LOG_LEVEL"])
    schema_checked(app)
    with app.app_context():
        db.engine.dispose()  # nothing of this process's pool goes into gunicorn's
    arguments = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:ucs.cli.gunicorn_config",
        "--bind",
        bind,
    ]
    if workers is not None:
        arguments += ["--workers", str(workers)]
    sys.stdout.flush()
    # gunicorn replaces this process: signals (SIGTERM: graceful stop, SIGHUP: new workers) reach its master.
    os.execv(sys.executable, [*arguments, "ucs.wsgi:app"])

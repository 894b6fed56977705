"""`ucs serve`: the production server, gunicorn with the settings shipped in ucs/gunicorn_config.py."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ucs import logs
from ucs.auth.exposure import bind_host, check_exposure
from ucs.config import ConfigError
from ucs.extensions import db
from ucs.startup import schema_checked


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
    refuse_open_access(app.config, bind_host(bind))
    # JSON unless the operator chose: for this process's lines (a migration) and, inherited, gunicorn's.
    os.environ.setdefault("UCS_LOG_FORMAT", "json")
    logs.configure(os.environ["UCS_LOG_FORMAT"], app.config["LOG_LEVEL"])
    schema_checked(app)
    with app.app_context():
        db.engine.dispose()  # nothing of this process's pool goes into gunicorn's
    arguments = [sys.executable, "-m", "gunicorn", "--config", "python:ucs.gunicorn_config", "--bind", bind]
    if workers is not None:
        arguments += ["--workers", str(workers)]
    sys.stdout.flush()
    # gunicorn replaces this process: signals (SIGTERM: graceful stop, SIGHUP: new workers) reach its master.
    os.execv(sys.executable, [*arguments, "ucs.wsgi:app"])


def refuse_open_access(config, host: str | None) -> None:
    """Stop with one line when access control is off and host is reachable from other machines."""
    try:
        check_exposure(config, host)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None

"""`ucs run`, the development server, and `ucs serve`, the production server: gunicorn with the settings
shipped in ucs/cli/gunicorn_config.py."""

from __future__ import annotations

import logging
import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from ucs.auth.exposure import bind_host, check_exposure
from ucs.cli.startup import configure_logs, schema_checked, store_checked
from ucs.db.base import db
from ucs.db.schema import db_url_for_humans
from ucs.observability import logs
from ucs.plugins import current_storage
from ucs.settings import ConfigError
from ucs.storage import location_of
from ucs.validation.in_server import InServerValidator
from ucs.validation_modes import BUILTIN, EXTERNAL

log = logging.getLogger(__name__)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve UCS with the development server (in production: `ucs serve`)."""
    app = current_app._get_current_object()
    refuse_open_access(app.config, host)
    configure_logs()
    schema_checked(app)
    store_checked(app)
    base = f"http://{host}:{port}"
    click.echo(f"UCS serving on {base}")
    click.echo(f"  API docs:  {base}/docs")
    click.echo(f"  database:  {db_url_for_humans(app)}")
    click.echo(f"  storage:   {_storage_detail(app)}")
    click.echo(f"  tokens:    {_auth_detail(app)}")
    validator = InServerValidator(app).start() if app.config["VALIDATION"] == BUILTIN else None
    click.echo(f"  validation: {_validation_detail(app, validator)}")
    try:
        # Flask's app.run() refuses to start inside its own CLI; run_simple is what it would call.
        run_simple(host, port, app, threaded=True)
    finally:
        if validator is not None:
            validator.stop()


def _validation_detail(app, validator: InServerValidator | None) -> str:
    if validator is not None:
        return f"builtin, in this process ({validator.settings.concurrency} objects at once)"
    if app.config["VALIDATION"] == EXTERNAL:
        return "external: verdicts come as file.upload_validated events (ucs events consume)"
    return "none: uploaded files are final and served"


def _storage_detail(app) -> str:
    return f"{app.config['STORAGE_BACKEND']} {location_of(current_storage(app))}"


def _auth_detail(app) -> str:
    if app.config["AUTH_DISABLED"]:
        return "NOT CHECKED (UCS_AUTH_DISABLED): anyone who reaches UCS may do anything"
    issuers = [entry["issuer"] for entry in app.config["AUTH_ISSUERS"]]
    return "from " + ", ".join(issuers) if issuers else "from the built-in issuer (ucs tokens issue)"


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
    help="Worker processes, 4 threads each.  [default: one per core, at least 2]",
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
    store_checked(app)
    # What it serves, one line each; gunicorn's "Listening at" line says where.
    log.info("database: %s", db_url_for_humans(app))
    log.info("storage: %s", _storage_detail(app))
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


def refuse_open_access(config, host: str | None) -> None:
    """Stop with one line when access control is off and host is reachable from other machines."""
    try:
        check_exposure(config, host)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None

"""The `ucs` command: Flask's CLI for this app (`ucs run`, `ucs db upgrade`, `ucs events ...`)."""

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from ucs.app import create_app
from ucs.database import SchemaNotCurrent, db_url_for_humans, ensure_schema


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve UCS with the development server (use gunicorn in production, see README)."""
    app = current_app._get_current_object()
    try:
        ensure_schema(app)
    except SchemaNotCurrent as error:
        raise click.ClickException(str(error)) from None
    base = f"http://{host}:{port}"
    click.echo(f"UCS serving on {base}")
    click.echo(f"  API docs:  {base}/docs")
    click.echo(f"  database:  {db_url_for_humans(app)}")
    click.echo(f"  storage:   {app.config['STORAGE_BACKEND']}" + _storage_detail(app))
    # Flask's app.run() refuses to start inside its own CLI; run_simple is what it would call.
    run_simple(host, port, app, threaded=True)


def _storage_detail(app) -> str:
    if app.config["STORAGE_BACKEND"] == "filesystem":
        return f" at {app.config['STORAGE_ROOT']}"
    return f" bucket {app.config['S3_BUCKET']}"


main = FlaskGroup(
    create_app=create_app,
    add_default_commands=False,
    add_version_option=False,
    help="UCS, the Upload Controller Service. Settings come from UCS_* environment variables.",
)
main.add_command(run_command)

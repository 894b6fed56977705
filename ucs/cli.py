"""The `ucs` command: Flask's CLI for this app (`ucs run`, `ucs db upgrade`, `ucs events ...`)."""

import contextlib
import json
import signal
import threading
from collections.abc import Iterator

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy.exc import OperationalError
from werkzeug.serving import run_simple

from ucs import life_cycle, logs, metrics_server, serve
from ucs.app import STARTUP_ERRORS, create_app
from ucs.cleanup import parse_duration, stale_uploads, store_leftovers
from ucs.consumer import handle_message
from ucs.crypt4gh.commands import crypt4gh_group
from ucs.database import database_problem, db_url_for_humans
from ucs.event_metrics import counting_handler
from ucs.events import EventMessage, PublishFailed, make_source, outbox_events
from ucs.plugins import current_storage
from ucs.problems import Conflict
from ucs.relay import relay_from_config
from ucs.startup import schema_checked
from ucs.storage import ListsUploads, StorageError, UploadNotFound, location_of
from ucs.tokens_cli import tokens_group


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve UCS with the development server (in production: `ucs serve`)."""
    app = current_app._get_current_object()
    _configure_logs()
    schema_checked(app)
    base = f"http://{host}:{port}"
    click.echo(f"UCS serving on {base}")
    click.echo(f"  API docs:  {base}/docs")
    click.echo(f"  database:  {db_url_for_humans(app)}")
    click.echo(f"  storage:   {app.config['STORAGE_BACKEND']} {location_of(current_storage(app))}")
    click.echo(f"  tokens:    {_auth_detail(app)}")
    # Flask's app.run() refuses to start inside its own CLI; run_simple is what it would call.
    run_simple(host, port, app, threaded=True)


def _auth_detail(app) -> str:
    if app.config["AUTH_DISABLED"]:
        return "NOT CHECKED (UCS_AUTH_DISABLED): anyone who reaches UCS may do anything"
    issuers = [entry["issuer"] for entry in app.config["AUTH_ISSUERS"]]
    return "from " + ", ".join(issuers) if issuers else "from the built-in issuer (ucs tokens issue)"


def _create_app():
    """The app for every command; a bad setting is one line on stderr, not a traceback."""
    try:
        return create_app()
    except STARTUP_ERRORS as error:
        raise click.ClickException(str(error)) from None


class UcsGroup(FlaskGroup):
    """Flask's command group, whose commands report an unreachable database in one line.

    Flask-Migrate's `db` commands let SQLAlchemy's OperationalError escape: a 154-line traceback.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OperationalError as error:
            app = ctx.ensure_object(ScriptInfo).load_app()
            raise click.ClickException(str(database_problem(app, error))) from None


main = UcsGroup(
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    help="UCS, the Upload Controller Service. Settings come from UCS_* environment variables.",
)
main.add_command(run_command)
main.add_command(tokens_group)
main.add_command(crypt4gh_group)


@click.group("events")
@with_appcontext
def events_group() -> None:
    """Publish the event outbox, consume events, list the outbox (docs/events.md)."""
    # The outbox and the processed-event ids live in the database: it must be current, as for serving.
    schema_checked(current_app._get_current_object())


NO_BROKER = "no event broker is configured: set UCS_AMQP_URL (until then events wait in the outbox)"


@events_group.command("relay")
@click.option("--once", is_flag=True, help="Publish every pending event, then exit.")
@metrics_server.metrics_options
@with_appcontext
def events_relay_command(once: bool, metrics_port: int | None, metrics_host: str) -> None:
    """Publish outbox events in order, marking each sent once the broker confirms it (SIGTERM stops)."""
    relay = relay_from_config(current_app._get_current_object())
    if relay is None:
        raise click.ClickException(NO_BROKER)
    if once:
        try:
            click.echo(f"published {relay.publish_pending()} event(s)")
        except PublishFailed as error:
            raise click.ClickException(str(error)) from None
        finally:
            relay.publisher.close()
        return
    metrics_server.start(metrics_port, metrics_host)
    click.echo("events relay: publishing the outbox (Ctrl-C or SIGTERM stops)")
    _configure_logs()
    with _stopped_by_signals() as stop:
        relay.run(stop)


@events_group.command("consume")
@metrics_server.metrics_options
@with_appcontext
def events_consume_command(metrics_port: int | None, metrics_host: str) -> None:
    """Apply file.registered and file.upload_validated events from the broker (SIGTERM stops)."""
    source = make_source(current_app._get_current_object())
    if source is None:
        raise click.ClickException(NO_BROKER)
    metrics_server.start(metrics_port, metrics_host)
    click.echo(
        f"events consumer: reading queue {current_app.config['EVENTS_QUEUE']} (Ctrl-C or SIGTERM stops)"
    )
    _configure_logs()
    with _stopped_by_signals() as stop:
        source.run(counting_handler(handle_message), stop.is_set)


@events_group.command("list")
@click.option("--pending", is_flag=True, help="Only events no broker has confirmed yet.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, oldest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON message body per line.")
@with_appcontext
def events_list_command(pending: bool, limit: int | None, as_json: bool) -> None:
    """List outbox events, oldest first: id, state, time, type, event id, payload."""
    rows = outbox_events(pending_only=pending, limit=limit)
    for row in rows:
        if as_json:
            click.echo(EventMessage.from_row(row).body())
            continue
        state = "pending" if row.published_at is None else "published"
        occurred_at = row.occurred_at.strftime("%Y-%m-%dT%H:%M:%S")
        payload = json.dumps(row.payload, separators=(",", ":"))
        click.echo(f"{row.id}\t{state}\t{occurred_at}\t{row.type}\t{row.event_id}\t{payload}")
    click.echo(f"{len(rows)} {'pending ' if pending else ''}event(s)", err=True)


def _configure_logs() -> None:
    logs.configure(current_app.config["LOG_FORMAT"], current_app.config["LOG_LEVEL"])


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[threading.Event]:
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


main.add_command(events_group)


@click.group("uploads")
def uploads_group() -> None:
    """Operate on multipart uploads (docs/configuration.md, "Abandoned uploads")."""


@uploads_group.command("cleanup")
@click.option(
    "--older-than",
    default="7d",
    show_default=True,
    help="Cancel pending uploads started longer ago than this (7d, 12h, 30m, 45s).",
)
@click.option("--dry-run", is_flag=True, help="Only list what would be canceled or aborted.")
@with_appcontext
def uploads_cleanup_command(older_than: str, dry_run: bool) -> None:
    """Cancel abandoned pending uploads, then abort the store's leftovers, freeing their parts.

    Leftovers are unfinished uploads in the store that no pending upload accounts for: canceled, failed
    or completed ones whose abort never finished, and ones the database does not know, once older than
    --older-than.
    """
    try:
        age = parse_duration(older_than)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--older-than") from None
    app = current_app._get_current_object()
    schema_checked(app)
    _configure_logs()
    stale = stale_uploads(age)
    verb = "would cancel" if dry_run else "canceling"
    click.echo(f"{len(stale)} pending upload(s) started more than {older_than} ago")
    storage = current_storage(app)
    canceled = 0
    for number, upload in enumerate(stale, start=1):
        click.echo(
            f"[{number}/{len(stale)}] {verb} {upload.s3_upload_id} of file {upload.file_id}, started {upload.created_at:%Y-%m-%d %H:%M}"
        )
        if dry_run:
            continue
        try:
            life_cycle.cancel_upload(
                storage,
                upload.s3_upload_id,
                actor="ucs uploads cleanup",
                reason=f"abandoned: still pending after {older_than}",
            )
            canceled += 1
        except Conflict as error:  # completed or canceled meanwhile: nothing to clean
            click.echo(f"  skipped: {error}")
    if not dry_run:
        click.echo(f"canceled {canceled} upload(s)")
    if isinstance(storage, ListsUploads):
        _abort_leftovers(storage, age, dry_run)
    else:
        click.echo(f"the {storage.name} store cannot list its unfinished uploads: no leftovers looked for")


def _abort_leftovers(storage, age, dry_run: bool) -> None:
    leftovers = store_leftovers(storage, age)
    click.echo(f"{len(leftovers)} unfinished upload(s) in the store that no pending upload accounts for")
    aborted = 0
    for number, leftover in enumerate(leftovers, start=1):
        click.echo(
            f"[{number}/{len(leftovers)}] {'would abort' if dry_run else 'aborting'} "
            f"{leftover.upload.upload_id}, started {leftover.upload.started:%Y-%m-%d %H:%M}: {leftover.why}"
        )
        if dry_run:
            continue
        try:
            storage.abort_multipart_upload(leftover.key, leftover.upload.upload_id)
            aborted += 1
        except UploadNotFound:
            click.echo("  skipped: aborted or completed meanwhile")
        except StorageError as error:
            click.echo(f"  failed: {error}")
    if not dry_run:
        click.echo(f"aborted {aborted} leftover(s)")


main.add_command(uploads_group)
main.add_command(serve.serve_command)

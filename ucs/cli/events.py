"""`ucs events`: publish the outbox, consume events, list the outbox (docs/events.md)."""

import functools
import json

import click
from flask import current_app
from flask.cli import with_appcontext

from ucs.cli.startup import configure_logs, schema_checked, stopped_by_signals
from ucs.events import EventMessage, PublishFailed, make_source, outbox_events
from ucs.events.relay import relay_from_config
from ucs.observability import metrics_server
from ucs.observability.event_metrics import counting_handler
from ucs.operations.consumer import handle_message


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
    configure_logs()
    with stopped_by_signals() as stop:
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
    configure_logs()
    with stopped_by_signals() as stop:
        handle = functools.partial(handle_message, validation=current_app.config["VALIDATION"])
        source.run(counting_handler(handle), stop.is_set)


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

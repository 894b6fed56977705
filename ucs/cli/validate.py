"""`ucs validate`: read every uploaded object back and judge it; with --recheck, check accepted ones again
(docs/validation.md)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ucs.cli.durations import Duration, DurationType
from ucs.cli.startup import configure_logs, schema_checked, stopped_by_signals
from ucs.observability import metrics_server
from ucs.observability.metrics_endpoint import ValidationBacklogCollector
from ucs.plugins import current_storage
from ucs.validation.validator import Validator, ValidatorSettings
from ucs.validation_modes import BUILTIN


@click.command("validate")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    help="Objects read at once.  [default: UCS_VALIDATION_CONCURRENCY, 2]",
)
@click.option(
    "--readers",
    type=click.IntRange(min=1),
    help="Parallel ranged reads per object.  [default: UCS_VALIDATION_READERS, 4]",
)
@click.option(
    "--once",
    is_flag=True,
    help="Check every object waiting now (waiting for other validators' leases), then exit.",
)
@click.option(
    "--recheck", is_flag=True, help="Re-read accepted objects for fixity instead of judging uploaded ones."
)
@click.option(
    "--older-than",
    type=DurationType(": write a number with s, m, h or d, such as 30d or 12h"),
    default="30d",
    show_default=True,
    help="With --recheck: the objects last found intact longer ago than this (30d, 12h, 45m).",
)
@metrics_server.metrics_options
@with_appcontext
def validate_command(
    concurrency: int | None,
    readers: int | None,
    once: bool,
    recheck: bool,
    older_than: Duration,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    """Read uploaded objects back and accept or reject each one (SIGTERM stops after releasing the object
    being read)."""
    app = current_app._get_current_object()
    mode = app.config["VALIDATION"]
    if mode != BUILTIN and not recheck:
        raise click.ClickException(
            f"UCS_VALIDATION is {mode}: UCS does not judge uploads itself, so there is nothing to validate "
            "(set UCS_VALIDATION=builtin, on the servers too; --recheck works in every mode)"
        )
    schema_checked(app)
    settings = ValidatorSettings.from_config(app.config, concurrency, readers)
    validator = Validator(
        app, current_storage(app), settings, older_than.span.total_seconds() if recheck else None, once
    )
    metrics_server.start(metrics_port, metrics_host, ValidationBacklogCollector(app))
    what = (
        f"re-checking objects accepted over {older_than.span.total_seconds():g} s ago"
        if recheck
        else "validating uploaded objects"
    )
    click.echo(
        f"validator {settings.validator_id}: {what}, {settings.concurrency} at once with "
        f"{settings.read.readers} readers each" + ("" if once else " (Ctrl-C or SIGTERM stops)")
    )
    configure_logs()
    with stopped_by_signals() as stop:
        tally = validator.run(stop)
    counted = (
        ", ".join(f"{count} {outcome}" for outcome, count in sorted(tally.items())) or "nothing to check"
    )
    click.echo(f"validator {settings.validator_id} stopped: {counted}")

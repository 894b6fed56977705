"""`ucs uploads cleanup`: cancel abandoned uploads, abort the store's leftovers (docs/configuration.md)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ucs.cli.durations import Duration, DurationType
from ucs.cli.startup import configure_logs, schema_checked
from ucs.operations import life_cycle
from ucs.operations.cleanup import stale_uploads, store_leftovers
from ucs.plugins import current_storage
from ucs.problems import Conflict
from ucs.storage import ListsUploads, StorageError, UploadNotFound


@click.group("uploads")
def uploads_group() -> None:
    """Operate on multipart uploads (docs/configuration.md, "Abandoned uploads")."""


@uploads_group.command("cleanup")
@click.option(
    "--older-than",
    type=DurationType(),
    default="7d",
    show_default=True,
    help="Cancel pending uploads started longer ago than this (7d, 12h, 30m, 45s).",
)
@click.option("--dry-run", is_flag=True, help="Only list what would be canceled or aborted.")
@with_appcontext
def uploads_cleanup_command(older_than: Duration, dry_run: bool) -> None:
    """Cancel abandoned pending uploads, then abort the store's leftovers, freeing their parts.

    Leftovers are unfinished uploads in the store that no pending upload accounts for: canceled, failed
    or completed ones whose abort never finished, and ones the database does not know, once older than
    --older-than.
    """
    age = older_than.span
    app = current_app._get_current_object()
    schema_checked(app)
    configure_logs()
    stale = stale_uploads(age)
    verb = "would cancel" if dry_run else "canceling"
    click.echo(f"{len(stale)} pending upload(s) started more than {older_than.text} ago")
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
                reason=f"abandoned: still pending after {older_than.text}",
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

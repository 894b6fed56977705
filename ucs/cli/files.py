"""`ucs files register` and `ucs files show`: the archive's registration, from the UCS host.

The command runs the operation `PUT /files/{file_id}` runs, with the same checks of the id, the size and
the SHA-256 (those of a consumed file.registered event). It needs no token: it acts as the host's operator,
as `ucs uploads cleanup` does (docs/security.md, "Operator commands").
"""

import click
import marshmallow as ma
from flask import current_app
from flask.cli import with_appcontext

from ucs.cli.startup import schema_checked
from ucs.db import queries
from ucs.db.models import File
from ucs.events import CONSUMED_SCHEMAS, FILE_REGISTERED
from ucs.operations import registration
from ucs.problems import UploadError


@click.group("files")
def files_group() -> None:
    """Register files and look them up, on the UCS host (docs/api.md has the same over HTTP)."""


@files_group.command("register")
@click.argument("file_id")
@click.option("--size", type=int, help="Expected size in bytes. Default: not known (or as registered).")
@click.option(
    "--sha256",
    help="Expected SHA-256 of the whole file, lowercase hex. Default: not known (or as registered).",
)
@with_appcontext
def register_command(file_id: str, size: int | None, sha256: str | None) -> None:
    """Register FILE_ID, or update its expected size and SHA-256, as PUT /files/FILE_ID does.

    The upload must then match what is given. A change is refused while the file has an active upload.
    """
    checked = _checked({"file_id": file_id, "size": size, "sha256": sha256})
    file, created = _run(registration.register_file, checked["file_id"], checked["size"], checked["sha256"])
    size_text = "size not known" if file.size is None else f"{file.size} bytes"
    sha256_text = "SHA-256 not known" if file.sha256 is None else f"SHA-256 {file.sha256}"
    click.echo(f"{'registered' if created else 'updated'} file {file.file_id}: {size_text}, {sha256_text}")


@files_group.command("show")
@click.argument("file_id")
@with_appcontext
def show_command(file_id: str) -> None:
    """Show a registered file: its expected size and SHA-256, its latest upload, when it changed."""
    checked = _checked({"file_id": file_id})
    file = _run(queries.get_file, checked["file_id"])
    for name, value in _fields(file):
        click.echo(f"{name + ':':<12}{value}")


def _checked(values: dict) -> dict:
    """The values as the REST API and the event consumer accept them, or a usage error saying what is wrong."""
    try:
        return CONSUMED_SCHEMAS[FILE_REGISTERED]().load(values)
    except ma.ValidationError as error:
        problems = [" ".join(messages) for messages in error.normalized_messages().values()]
        raise click.UsageError("; ".join(problems)) from None


def _run(operation, *args):
    """The operation's answer, once the database is current; a refusal is one line (exit status 1)."""
    schema_checked(current_app._get_current_object())
    try:
        return operation(*args)
    except UploadError as error:
        raise click.ClickException(str(error)) from None


def _fields(file: File) -> list[tuple[str, str]]:
    latest = file.uploads[-1] if file.uploads else None
    return [
        ("file_id", file.file_id),
        ("size", "not known" if file.size is None else str(file.size)),
        ("sha256", file.sha256 or "not known"),
        ("upload", "none yet" if latest is None else f"{latest.s3_upload_id} ({latest.upload_status.value})"),
        ("registered", file.created_at.isoformat(timespec="seconds")),
        ("updated", file.updated_at.isoformat(timespec="seconds")),
    ]

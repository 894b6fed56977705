"""The upload-client command line: upload, download, status, cancel."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click
from click.core import ParameterSource

from upload_client import __version__
from upload_client.api import UcsClient
from upload_client.commands import (
    checked_api_url,
    command_line,
    engine_for,
    file_options,
    make_api,
    reported,
    stop_on_signals,
    transfer_options,
    wait_timeout_option,
)
from upload_client.config import MAX_URL_BATCH, MiB, TransferConfig
from upload_client.credentials import Credentials
from upload_client.download import Downloader
from upload_client.drs import drs_object
from upload_client.exceptions import ApiError, BadInput
from upload_client.progress import human_size, summary
from upload_client.sources import DownloadSource, UcsFile
from upload_client.upload import Uploader, UploadReport, registered_file
from upload_client.verdict import VerdictWaiter, verdict_note

EXIT_CODES = """\b
Exit codes:
  0    success
  1    bad input, or UCS refused the request (the message says why)
  2    wrong usage of the command line
  3    the transfer stopped: a part kept failing until its retries ran out, or the
       store refused it; run the same command to resume
  4    UCS cannot be reached, or --api-url does not point at UCS
  5    verification failed: the bytes do not match their checksum, the stored
       object is shorter or longer than the file, or UCS's fixity check found
       the stored object changed
  6    UCS refused the token (missing, invalid or expired) or its permission;
       with a new token, run the same command to resume
  7    the file changed while it was uploaded (written to, or another file
       renamed over it); the upload is not completed and stays pending
  8    UCS's validation rejected the upload (upload --wait, or a download of
       the file): the message gives the reason
  9    the verdict did not come within --wait-timeout: the file is still being
       validated; `upload-client status` shows the verdict later
  130  interrupted (Ctrl-C or SIGTERM); run the same command to resume
"""


@click.group(epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="upload-client")
def main() -> None:
    """Upload files to UCS and download them back, part by part: resumable, verified, in little memory."""


def transfer_command(path_option: Callable, file_required: bool = True) -> Callable:
    """A command that moves a file: the file options, a path option, the transfer options, one-line errors."""

    def decorate(function: Callable) -> Callable:
        for decorator in (
            functools.partial(reported, interrupted="interrupted; run the same command to resume"),
            transfer_options,
            path_option,
            functools.partial(file_options, required=file_required),
            main.command(epilog=EXIT_CODES),
        ):
            function = decorator(function)
        return function

    return decorate


@transfer_command(click.option("--file-path", required=True, help="The local file to upload."))
@click.option(
    "--url-batch",
    type=click.IntRange(0, MAX_URL_BATCH),
    default=None,
    help="Part URLs asked of UCS per request (default: 8 per parallel part, at least 32); "
    "0 asks for one URL per request, as clients did before UCS signed in batches.",
)
@click.option(
    "--wait",
    is_flag=True,
    help="After completing, wait for UCS's verdict on the upload (accepted: exit 0; rejected: exit 8).",
)
@wait_timeout_option("With --wait: seconds to wait for the verdict before exiting 9.")
def upload(
    file_id: str,
    api_url: str,
    access: Credentials,
    file_path: str,
    parallel: int,
    quiet: bool,
    url_batch: int | None,
    wait: bool,
    wait_timeout: float,
) -> None:
    """Upload a file; run it again after a failure or Ctrl-C to resume where it stopped."""
    config = TransferConfig(max_concurrency=parallel, part_url_batch=url_batch, wait_timeout=wait_timeout)
    api = make_api(api_url, access, config)
    with stop_on_signals() as stop:
        engine = engine_for(config, quiet, stop)
        uploader = Uploader(
            api,
            engine,
            resume_command=command_line("upload", file_id, api_url, "--file-path", file_path),
            cancel_command=command_line("cancel", file_id, api_url),
        )
        report = uploader.upload(file_id, file_path)
        if not quiet:
            print_upload_report(report)
        if wait:
            waiter = VerdictWaiter(api, engine, status_command=command_line("status", file_id, api_url))
            verdict = waiter.wait(file_id, report.upload_id)
            if not quiet:
                click.echo(
                    f"accepted: UCS validated upload {verdict.upload_id} of file {file_id}, "
                    f"sha256 {verdict.sha256} (waited {verdict.seconds:.1f} s)"
                )


def print_upload_report(report: UploadReport) -> None:
    file_id = report.file_id
    if report.already_uploaded:
        click.echo(
            f"file {file_id} was already uploaded from this file (upload {report.upload_id}); nothing to do"
        )
        return
    if report.reused_parts:
        click.echo(
            f"resumed upload {report.upload_id}: {report.reused_parts} of {report.parts} parts "
            f"({report.reused_bytes} bytes) were already stored"
        )
    click.echo(f"retries: {report.retries}")
    if report.url_requests:
        click.echo(
            f"part URLs: {report.url_requests} request{'' if report.url_requests == 1 else 's'} to UCS, "
            f"{report.url_seconds:.1f} s waited for them"
        )
    click.echo(summary(f"uploaded {file_id}:", report.size, report.seconds, report.sha256))


@transfer_command(
    click.option("--output", required=True, help="Where to write the file (PATH.part until it is verified)."),
    file_required=False,
)
@click.argument("drs_uri", required=False, metavar="[DRS_URI]")
@click.option(
    "--range-size",
    type=click.IntRange(1, 5 * 1024),
    default=16,
    show_default=True,
    help="MiB fetched by each ranged GET.",
)
@wait_timeout_option("Seconds to wait for a file UCS is still validating (0: do not wait); then exit 9.")
def download(
    drs_uri: str | None,
    file_id: str | None,
    api_url: str | None,
    access: Credentials,
    output: str,
    parallel: int,
    quiet: bool,
    range_size: int,
    wait_timeout: float,
) -> None:
    """Download a file's uploaded object, named by --file-id at --api-url or by a drs://<host>/<id> URI
    (docs/drs.md); run it again after a failure or Ctrl-C to resume."""
    config = TransferConfig(
        max_concurrency=parallel, download_range_size=range_size * MiB, wait_timeout=wait_timeout
    )
    source = download_source(drs_uri, file_id, api_url, access, config)
    file_id = source.id
    with stop_on_signals() as stop:
        report = Downloader(source, engine_for(config, quiet, stop)).download(output)
    if not quiet:
        if report.reused_bytes:
            click.echo(f"resumed: {report.reused_bytes} bytes were already on disk")
        click.echo(f"retries: {report.retries}")
        click.echo(summary(f"downloaded {file_id} to {output}:", report.size, report.seconds, report.sha256))
    if not report.verified:
        click.echo(f"warning: no SHA-256 is known for {file_id}; only the size was checked", err=True)


def download_source(drs_uri, file_id, api_url, access: Credentials, config: TransferConfig) -> DownloadSource:
    """What a download reads from: the object of a drs:// URI at its DRS server, or a file at UCS at --api-url.

    With a URI, only an --api-url on the command line says where its DRS server is (UCS_API_URL does not),
    so a URI goes to the host it names unless the command says otherwise.
    """
    if (drs_uri is None) == (file_id is None):
        raise click.UsageError("name the file either with a drs:// URI or with --file-id and --api-url")
    if drs_uri is not None:
        given = click.get_current_context().get_parameter_source("api_url") is ParameterSource.COMMANDLINE
        return drs_object(drs_uri, checked_api_url(api_url) if given else None, access, config)
    if api_url is None:
        raise click.UsageError("Missing option '--api-url' (or the environment variable UCS_API_URL).")
    return UcsFile(make_api(api_url, access, config), file_id)


@main.command(epilog=EXIT_CODES)
@file_options
@reported
def status(file_id: str, api_url: str, access: Credentials) -> None:
    """Show a file's registration and its uploads with their states."""
    api = make_api(api_url, access, TransferConfig())
    file = registered_file(api, file_id)
    size = "unknown size" if file.get("size") is None else f"{file['size']} bytes"
    click.echo(f"file {file_id}: {size}, sha256 {file.get('sha256') or 'not registered'}")
    uploads = sorted(api.uploads(file_id), key=lambda item: item.get("created_at") or "")
    if not uploads:
        click.echo("no uploads yet")
    for item in uploads:
        line = f"upload {item['upload_id']}: {item['status']}, part size {human_size(item['part_size'])}"
        line += f", started {item.get('created_at')}"
        if item["status"] == "pending":
            line += ", " + stored_summary(api, item["upload_id"])
        line += verdict_note(item)
        if item.get("reason"):
            line += f", reason: {item['reason']}"
        click.echo(line)


def stored_summary(api: UcsClient, upload_id: str) -> str:
    """What the store holds of a pending upload, or UCS's word that it holds nothing any more."""
    try:
        stored = api.stored_parts(upload_id)
    except ApiError as error:
        if error.status != 409:
            raise
        return str(error)
    return f"{len(stored)} parts stored ({sum(p['size'] for p in stored)} bytes)"


@main.command(epilog=EXIT_CODES)
@file_options
@reported
def cancel(file_id: str, api_url: str, access: Credentials) -> None:
    """Cancel the file's pending upload (its stored parts are deleted)."""
    api = make_api(api_url, access, TransferConfig())
    registered_file(api, file_id)
    pending = api.pending_upload(file_id)
    if pending is None:
        raise BadInput(f"file {file_id!r} has no pending upload to cancel")
    api.cancel(pending["upload_id"])
    click.echo(f"canceled upload {pending['upload_id']} of file {file_id}")

"""What every upload-client command is built from: its options, one-line errors, Ctrl-C, the API and engine."""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator

import click

from upload_client.api import UcsClient
from upload_client.config import DEFAULT_WAIT_TIMEOUT, TransferConfig
from upload_client.credentials import Credentials
from upload_client.exceptions import BadInput, ClientError, Interrupted, NotUcs
from upload_client.progress import ProgressBar
from upload_client.transfer import TransferEngine


def reported(command: Callable, interrupted: str = "interrupted") -> Callable:
    """Turn the client's exceptions into one line on stderr and the documented exit code."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except click.ClickException:  # wrong usage: click says so, with exit code 2
            raise
        except ClientError as error:
            fail(str(error), error.exit_code)
        except KeyboardInterrupt:  # a second Ctrl-C
            fail(interrupted, Interrupted.exit_code)
        except BrokenPipeError:
            # Whoever read our output went away (`status | head`): stop without a word, as other tools do.
            # Pointing stdout at /dev/null keeps the interpreter's last flush from raising again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as error:  # a bug: still one line, unless a traceback is asked for
            if os.environ.get("UPLOAD_CLIENT_DEBUG"):
                raise
            fail(f"unexpected {type(error).__name__}: {error} (UPLOAD_CLIENT_DEBUG=1 shows a traceback)", 1)

    return run


def fail(message: str, code: int) -> None:
    click.echo(f"upload-client: error: {message}", err=True)
    sys.exit(code)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """Ctrl-C or SIGTERM sets the stop event: workers end after their current chunk, leaving a resumable state.

    A second Ctrl-C interrupts at once.
    """
    stop = threading.Event()

    def handle(signum, frame):
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        click.echo("\nstopping after the chunks in flight (Ctrl-C again to quit at once)", err=True)

    previous = {number: signal.signal(number, handle) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def make_api(api_url: str, access: Credentials, config: TransferConfig) -> UcsClient:
    return UcsClient(checked_api_url(api_url), config, credentials=access)


def checked_api_url(api_url: str) -> str:
    if not api_url.startswith(("http://", "https://")):
        raise BadInput(f"--api-url {api_url!r} is not an http:// or https:// URL")
    if "?" in api_url or "#" in api_url:  # the API's paths would land in the query or be dropped
        raise NotUcs(
            f"--api-url {api_url} does not point at UCS: a base URL has no query (?) or fragment (#)"
        )
    return api_url


def token_options(command: Callable) -> Callable:
    """--token and --token-file, turned into one Credentials argument named access."""

    @functools.wraps(command)
    def run(*args, token: str | None, token_file: str | None, **kwargs):
        note = functools.partial(click.echo, err=True)
        return command(*args, access=Credentials(token, token_file, note=note), **kwargs)

    run = click.option(
        "--token-file",
        envvar="UCS_TOKEN_FILE",
        show_envvar=True,
        type=click.Path(dir_okay=False),
        help="A file holding the token; read again when UCS refuses the token, so a refresher can rotate it.",
    )(run)
    return click.option(
        "--token",
        envvar="UCS_TOKEN",
        show_envvar=True,
        help="The bearer token UCS asks for (prefer UCS_TOKEN: options show in the process list).",
    )(run)


def file_options(command: Callable, required: bool = True) -> Callable:
    command = token_options(command)
    command = click.option("--file-id", required=required, help="The file's id, as registered at UCS.")(
        command
    )
    return click.option(
        "--api-url",
        envvar="UCS_API_URL",
        required=required,
        show_envvar=True,
        help="Base URL of the UCS API, e.g. http://127.0.0.1:5000.",
    )(command)


def transfer_options(command: Callable) -> Callable:
    command = click.option(
        "--parallel",
        type=click.IntRange(1, 64),
        default=4,
        show_default=True,
        help="Parts in flight at once.",
    )(command)
    return click.option("--quiet", is_flag=True, help="No progress bar and no summary.")(command)


def engine_for(config: TransferConfig, quiet: bool, stop: threading.Event) -> TransferEngine:
    return TransferEngine(config, [ProgressBar(quiet)], stop)


def command_line(command: str, file_id: str, api_url: str, *more: str) -> str:
    """The shell command that runs an upload-client command again, quoted to paste."""
    words = ("upload-client", command, "--file-id", file_id, "--api-url", api_url, *more)
    return " ".join(shlex.quote(word) for word in words)


def wait_timeout_option(help_text: str) -> Callable:
    """--wait-timeout SECONDS (UCS_WAIT_TIMEOUT): how long to wait for UCS's verdict on a file."""
    return click.option(
        "--wait-timeout",
        envvar="UCS_WAIT_TIMEOUT",
        show_envvar=True,
        type=click.FloatRange(min=0),
        default=DEFAULT_WAIT_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help=help_text,
    )

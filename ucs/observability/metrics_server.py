"""--metrics-port and --metrics-host for the long-running commands: their own /metrics, from a thread."""

from __future__ import annotations

import click

from ucs.observability import metrics


def metrics_options(command):
    command = click.option(
        "--metrics-host",
        default="127.0.0.1",
        show_default=True,
        help="Interface the metrics are served on (0.0.0.0 for every interface).",
    )(command)
    return click.option(
        "--metrics-port",
        type=click.IntRange(1, 65535),
        help="Serve Prometheus metrics on this port (GET /metrics); none without it.",
    )(command)


def start(port: int | None, host: str, *collectors) -> None:
    if port is None:
        return
    try:
        metrics.serve(port, host, *collectors)
    except OSError as error:
        raise click.ClickException(
            f"cannot serve metrics on {host}:{port}: {error.strerror or error}"
        ) from None
    click.echo(f"metrics on http://{host}:{port}/metrics")

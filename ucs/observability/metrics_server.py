"""--metrics-port and --metrics-host for the long-running commands: their own /metrics, from a thread.

prometheus_client's own server answers on any path; the registry it reads is the one /metrics reads
(ucs.observability.metrics.scrape_registry), so multiprocess mode adds up every process's numbers here too.
"""

from __future__ import annotations

import click
from prometheus_client import start_http_server

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


def start(port: int | None, host: str) -> None:
    if port is None:
        return
    try:
        start_http_server(port, host, registry=metrics.scrape_registry())
    except OSError as error:
        raise click.ClickException(
            f"cannot serve metrics on {host}:{port}: {error.strerror or error}"
        ) from None
    click.echo(f"metrics on http://{host}:{port}/metrics")

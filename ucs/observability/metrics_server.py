"""--metrics-port and --metrics-host for the long-running commands: their own /metrics, from a thread.

prometheus_client's own server answers on any path; the registry it reads is the one /metrics reads
(ucs.observability.metrics.scrape_registry), so multiprocess mode adds up every process's numbers here too.
"""

from __future__ import annotations

import click
from prometheus_client import start_http_server
from prometheus_client.exposition import choose_encoder

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
        server, _ = start_http_server(port, host, registry=metrics.scrape_registry(*collectors))
    except OSError as error:
        raise click.ClickException(
            f"cannot serve metrics on {host}:{port}: {error.strerror or error}"
        ) from None
    server.set_app(text_for_an_unreadable_accept(server.get_app()))
    click.echo(f"metrics on http://{host}:{port}/metrics")


def text_for_an_unreadable_accept(app):
    """prometheus_client answers 500 to an Accept it cannot read ("version=abc"): answer plain text instead."""

    def answer(environ, start_response):
        try:
            choose_encoder(environ.get("HTTP_ACCEPT", ""))
        except (TypeError, ValueError):
            environ = {**environ, "HTTP_ACCEPT": ""}
        return app(environ, start_response)

    return answer

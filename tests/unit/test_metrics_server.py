"""--metrics-port of the long-running commands: prometheus_client's server with the registry /metrics reads."""

import socket

import click
import pytest
import requests

from tests.support.processes import free_port
from ucs.observability import metrics, metrics_server


def test_the_metrics_port_serves_this_process_metrics_in_the_format_asked():
    port = free_port()
    metrics.EVENTS_PUBLISHED.labels("file.registered").inc()
    metrics_server.start(port, "127.0.0.1")

    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert text.status_code == 200 and text.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert 'ucs_uploads_total{status="pending"}' in text.text
    assert 'ucs_events_published_total{type="file.registered"}' in text.text
    openmetrics = requests.get(
        f"http://127.0.0.1:{port}/",
        headers={"Accept": "application/openmetrics-text; version=1.0.0"},
        timeout=10,
    )
    assert openmetrics.text.endswith("# EOF\n")
    odd = requests.get(
        f"http://127.0.0.1:{port}/metrics", headers={"Accept": "text/plain; version=abc"}, timeout=10
    )
    assert odd.status_code == 200 and odd.headers["Content-Type"].startswith("text/plain; version=0.0.4")


def test_a_metrics_port_in_use_is_a_one_line_error_naming_it():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(click.ClickException, match=f"cannot serve metrics on 127.0.0.1:{port}: "):
            metrics_server.start(port, "127.0.0.1")

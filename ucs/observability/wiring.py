"""What makes a UCS app observable: a log line and a request id per request, /metrics, a timed store."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from flask import Flask

from ucs.observability import logs, metrics_endpoint, request_log, status_changes
from ucs.observability.instrumented_storage import instrument
from ucs.plugins import current_storage

# Core settings whose values must never appear in a log line, whoever writes it; plugins mark their own.
SECRET_SETTINGS = ("SECRET_KEY",)
# Settings that are URLs and may hold a password.
URL_SETTINGS = ("DATABASE_URL", "AMQP_URL")


def init_observability(app: Flask, plugin_secrets: Sequence[str] = ()) -> None:
    """Call once the storage backend is made: its operations are timed in place.

    plugin_secrets names the settings plugins declared secret (ucs.plugin_settings.Setting.secret).
    """
    logs.register_secrets(secret_values(app.config, plugin_secrets))
    request_log.init_app(app)
    status_changes.init_app(app)
    app.register_blueprint(metrics_endpoint.bp)
    instrument(current_storage(app))


def secret_values(config, plugin_secrets: Sequence[str] = ()) -> list[str]:
    values = [config.get(name) for name in (*SECRET_SETTINGS, *plugin_secrets)]
    for name in URL_SETTINGS:
        url = config.get(name)
        if isinstance(url, str):
            values.append(urlsplit(url).password)
    return [value for value in values if isinstance(value, str)]

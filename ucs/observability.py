"""What makes a UCS app observable: a log line and a request id per request, /metrics, a timed store."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

from ucs import logs, metrics_endpoint, request_log, status_changes  # noqa: F401 - status_changes listens
from ucs.instrumented_storage import instrument

# Settings whose values must never appear in a log line, whoever writes it.
SECRET_SETTINGS = ("S3_SECRET_ACCESS_KEY", "S3_ACCESS_KEY_ID", "STORAGE_SIGNING_KEY", "SECRET_KEY")
# Settings that are URLs and may hold a password.
URL_SETTINGS = ("DATABASE_URL", "AMQP_URL")


def init_observability(app: Flask) -> None:
    """Call once the storage backend is made: its operations are timed in place."""
    logs.register_secrets(secret_values(app.config))
    request_log.init_app(app)
    app.register_blueprint(metrics_endpoint.bp)
    instrument(app.extensions["ucs.storage"])


def secret_values(config) -> list[str]:
    values = [config.get(name) for name in SECRET_SETTINGS]
    for name in URL_SETTINGS:
        url = config.get(name)
        if isinstance(url, str):
            values.append(urlsplit(url).password)
    return [value for value in values if isinstance(value, str)]

"""What makes a UCS app observable: a log line and a request id per request, /metrics, a timed store."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from flask import Flask

from ucs.observability import logs, metrics_endpoint, request_log, status_changes
from ucs.observability.instrumented_storage import instrument
from ucs.plugins import current_storage

# Flask's setting whose value must never appear in a log line; UCS's and plugins' mark theirs (Setting.secret).
SECRET_SETTINGS = ("SECRET_KEY",)


def init_observability(app: Flask, secret_keys: Sequence[str] = ()) -> None:
    """Call once the storage backend is made: its operations are timed in place.

    secret_keys names the settings declared secret (ucs.settings.Setting.secret).
    """
    logs.register_secrets(secret_values(app.config, secret_keys))
    request_log.init_app(app)
    status_changes.init_app(app)
    app.register_blueprint(metrics_endpoint.bp)
    instrument(current_storage(app))


def secret_values(config, secret_keys: Sequence[str] = ()) -> list[str]:
    values = [config.get(name) for name in (*SECRET_SETTINGS, *secret_keys)]
    # A password in a URL setting (the database's, a broker plugin's) is a secret, whoever declared the URL.
    values += [_url_password(value) for value in config.values() if isinstance(value, str) and "://" in value]
    return [value for value in values if isinstance(value, str)]


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:  # not a URL after all
        return None

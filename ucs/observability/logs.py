"""Log lines in one of two formats, JSON or text, with the same fields; no secret survives into a line.

Fields given with ``extra=`` (request_id, route, upload_id, ...) become JSON keys or ``key=value`` pairs.
Every line passes through redact() last, whichever library wrote it: presigned URLs' signatures and
credentials, bearer tokens, passwords in URLs and the values of the secret settings are masked.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# What every LogRecord carries by itself; any other attribute came from `extra=` or a filter: a field.
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

REDACTED = "[redacted]"
# Query parameters that authorise a request: SigV4's and SigV2's, the filesystem store's, OAuth's.
SIGNED_QUERY = re.compile(
    r"(?i)\b(x-amz-signature|x-amz-credential|x-amz-security-token|signature|awsaccesskeyid|access_token)"
    r"=[^&\s\"'<>]+"
)
BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
# A JWT anywhere, even outside an Authorization header: three base64url pieces, the first a JSON header.
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+):[^@\s/]+@")
# Shorter values would mask ordinary words; real secrets are longer.
MIN_SECRET_LENGTH = 6

_secret_values: set[str] = set()


def register_secrets(values: Iterable[str | None]) -> None:
    """Mask these values (secret settings: keys, passwords) wherever they would appear in a line."""
    _secret_values.update(v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH)


def redact(line: str) -> str:
    line = SIGNED_QUERY.sub(rf"\1={REDACTED}", line)
    line = BEARER.sub(rf"\1 {REDACTED}", line)
    line = JWT.sub(REDACTED, line)
    line = URL_PASSWORD.sub(rf"\1:{REDACTED}@", line)
    # Longest first, so a secret that contains another is masked whole.
    for value in sorted(_secret_values, key=len, reverse=True):
        line = line.replace(value, REDACTED)
    return line


class UcsFormatter(logging.Formatter):
    """One line per record: JSON (`json`) or `time LEVEL logger: message key=value ...` (`text`)."""

    def __init__(self, log_format: str = "text"):
        super().__init__()
        self.as_json = log_format == "json"

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in STANDARD_ATTRIBUTES and value is not None
        )
        fields["pid"] = record.process
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return redact(self._json(fields) if self.as_json else self._text(fields))

    @staticmethod
    def _json(fields: dict[str, Any]) -> str:
        return json.dumps(fields, default=str, separators=(",", ":"))

    @staticmethod
    def _text(fields: dict[str, Any]) -> str:
        time, level, logger, message = (fields.pop(k) for k in ("time", "level", "logger", "message"))
        exception = fields.pop("exception", None)
        pairs = "".join(f" {key}={_text_value(value)}" for key, value in fields.items())
        # A message may quote what a client sent: a line break in it must not start a forged line.
        message = message.replace("\r", "\\r").replace("\n", "\\n")
        line = f"{time} {level} {logger}: {message}{pairs}"
        return f"{line}\n{exception}" if exception else line


def _text_value(value: Any) -> str:
    """Plain when unambiguous, else JSON-quoted, so a value cannot pass for another pair or line."""
    text = str(value)
    return text if re.fullmatch(r"[\w.:/<>@+-]+", text) else json.dumps(text)


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The logging.config dictionary of every UCS process: one stderr handler with UcsFormatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ucs": {"()": "ucs.observability.logs.UcsFormatter", "log_format": log_format}},
        "filters": {"request_id": {"()": "ucs.observability.request_id.RequestIdFilter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "ucs",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # UCS writes its own line per request (ucs.requests); gunicorn's and werkzeug's would repeat
            # it with the raw path and query string, where the filesystem store's signatures are.
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "werkzeug": {"level": "WARNING"},
            # pika logs each failed connection attempt with a traceback; the relay and consumer log one line.
            "pika": {"level": "CRITICAL"},
        },
    }


def configure(log_format: str, level: str) -> None:
    """Send every log line of this process to stderr in this format (UCS_LOG_FORMAT) from level on."""
    logging.config.dictConfig(logging_config(log_format, level))

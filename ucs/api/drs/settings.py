"""The UCS_DRS_* settings (docs/configuration.md), declared like every other (ucs/settings.py): a value DRS
could not use stops UCS at start-up."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ucs.settings import ConfigError, Setting

# A DNS name or an IPv4 address, optionally with a port: what stands between drs:// and the id.
HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?")
MAX_BULK_LIMIT = 10_000


def _hostname(hostname: Any, instance_path: str) -> str | None:
    if hostname is not None and not (isinstance(hostname, str) and HOSTNAME.fullmatch(hostname)):
        raise ConfigError(
            "UCS_DRS_HOSTNAME must be a host name, optionally with a port, as it stands in "
            f"drs://<host>/<id> (e.g. drs.example.org), not {hostname!r}"
        )
    return hostname


def _bulk_limit(limit: Any, instance_path: str) -> int:
    if not (type(limit) is int and 1 <= limit <= MAX_BULK_LIMIT):
        raise ConfigError(
            f"UCS_DRS_MAX_BULK_REQUEST_LENGTH must be a whole number from 1 to {MAX_BULK_LIMIT}, not {limit!r}"
        )
    return limit


def _text(key: str):
    def check(text: Any, instance_path: str) -> str:
        if not (isinstance(text, str) and text.strip()):
            raise ConfigError(f"UCS_{key} must be a non-empty text, not {text!r}")
        return text

    return check


def _organization_url(url: Any, instance_path: str) -> str | None:
    if url is not None and not (isinstance(url, str) and _is_web_url(url)):
        raise ConfigError(f"UCS_DRS_ORGANIZATION_URL must be an http(s) URL, not {url!r}")
    return url


def _is_web_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


DRS_SETTINGS = (
    # The host of self_uri, drs://<host>/<id>. None: the host of the request.
    Setting("DRS_HOSTNAME", None, resolve=_hostname),
    # The most ids one bulk request may name (maxBulkRequestLength in service-info); more is a 413.
    Setting("DRS_MAX_BULK_REQUEST_LENGTH", 100, resolve=_bulk_limit),
    # service-info: the service's id and the organization that runs it. URL None: the service's own.
    Setting("DRS_SERVICE_ID", "ucs.drs", resolve=_text("DRS_SERVICE_ID")),
    Setting("DRS_ORGANIZATION_NAME", "UCS", resolve=_text("DRS_ORGANIZATION_NAME")),
    Setting("DRS_ORGANIZATION_URL", None, resolve=_organization_url),
)

"""The UCS_DRS_* settings (docs/configuration.md), refused at start-up when DRS could not use them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ucs.config import ConfigError

# A DNS name or an IPv4 address, optionally with a port: what stands between drs:// and the id.
HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?")
MAX_BULK_LIMIT = 10_000


def check_drs_settings(config: Mapping[str, Any]) -> None:
    hostname = config["DRS_HOSTNAME"]
    if hostname is not None and not (isinstance(hostname, str) and HOSTNAME.fullmatch(hostname)):
        raise ConfigError(
            "UCS_DRS_HOSTNAME must be a host name, optionally with a port, as it stands in "
            f"drs://<host>/<id> (e.g. drs.example.org), not {hostname!r}"
        )
    limit = config["DRS_MAX_BULK_REQUEST_LENGTH"]
    if not (type(limit) is int and 1 <= limit <= MAX_BULK_LIMIT):
        raise ConfigError(
            f"UCS_DRS_MAX_BULK_REQUEST_LENGTH must be a whole number from 1 to {MAX_BULK_LIMIT}, not {limit!r}"
        )
    for name in ("DRS_SERVICE_ID", "DRS_ORGANIZATION_NAME"):
        if not (isinstance(config[name], str) and config[name].strip()):
            raise ConfigError(f"UCS_{name} must be a non-empty text, not {config[name]!r}")
    url = config["DRS_ORGANIZATION_URL"]
    if url is not None and not (isinstance(url, str) and _is_web_url(url)):
        raise ConfigError(f"UCS_DRS_ORGANIZATION_URL must be an http(s) URL, not {url!r}")


def _is_web_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)

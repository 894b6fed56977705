"""Whether a server may listen where it does: with access control off, only loopback or a unix socket.

UCS_AUTH_DISABLED lets every caller do anything, so a server with it is refused on an address other
machines can reach unless UCS_AUTH_DISABLED_ALLOW_REMOTE says that network's callers are all trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from ucs.settings import ConfigError


def check_exposure(config: Mapping[str, Any], host: str | None) -> None:
    """ConfigError if access control is off and host (None: a unix socket) is reachable from elsewhere."""
    if not config["AUTH_DISABLED"] or config["AUTH_DISABLED_ALLOW_REMOTE"]:
        return
    if host is None or is_loopback(host):
        return  # a unix socket, or loopback: only this machine can connect
    raise ConfigError(
        f"access control is disabled (UCS_AUTH_DISABLED) and UCS would listen on {host or 'every interface'}, "
        "where anyone who reaches it may do anything: listen on 127.0.0.1, turn access control on, or set "
        "UCS_AUTH_DISABLED_ALLOW_REMOTE=true if every caller on that network is trusted"
    )


def bind_host(bind: str) -> str | None:
    """The host of a gunicorn --bind (HOST, HOST:PORT, [IPv6]:PORT); None for unix:PATH."""
    if bind.startswith("unix:"):
        return None
    if bind.startswith("["):
        return bind[1:].partition("]")[0]
    return bind.partition(":")[0] if bind.count(":") == 1 else bind


def is_loopback(host: str) -> bool:
    """Whether host is localhost or a loopback address (IPv6 with or without brackets)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # another host name: it may resolve to any interface

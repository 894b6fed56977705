"""Fetching an issuer's JWKS over HTTP, whole, within a deadline, from the configured URL only.

Timeouts bound each wait for bytes, not a fetch: a server that sends a byte every few seconds, in its
headers or its body, or a name that takes long to resolve, could hold a fetch for hours. So each fetch
runs in a thread of its own and the caller waits for it until FETCH_DEADLINE. A fetch past its deadline
ends in the background: its body read is cut at the deadline, its other waits by the timeouts; until it
has, the issuer's next fetch fails at once instead of starting another thread.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
import urllib3

from ucs.auth.jwks import KeysUnavailable

# Seconds to connect, and to wait for each read of the answer's status line and headers.
FETCH_TIMEOUT = (3.05, 5)
# Seconds a whole fetch may take, from resolving the name to the last byte of the body.
FETCH_DEADLINE = 10.0
# Real key sets are a few KiB; a larger answer is refused instead of read into memory.
MAX_JWKS_SIZE = 1024 * 1024
READ_SIZE = 64 * 1024


def fetch_url(url: str) -> Callable[[], dict]:
    """A function that fetches the JWKS at url, answering by the deadline."""
    # Messages (and so log lines) name the URL without any user:password@ or query it may carry (either can
    # hold a credential).
    parts = urlsplit(url)
    shown = parts._replace(netloc=parts.netloc.rpartition("@")[2], query="", fragment="").geturl()
    ended = threading.Event()  # the previous fetch's thread has ended
    ended.set()

    def fetch() -> dict:
        if not ended.is_set():
            raise KeysUnavailable(f"the last fetch of the JWKS at {shown} has not ended yet; retry shortly")
        ended.clear()
        deadline = time.monotonic() + FETCH_DEADLINE
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["keys"] = _get(url, shown, deadline)
            except Exception as error:  # noqa: BLE001 - handed to the caller, which raises it
                outcome["error"] = error
            finally:
                ended.set()

        threading.Thread(target=run, name="ucs-jwks-fetch", daemon=True).start()
        if not ended.wait(FETCH_DEADLINE):
            raise KeysUnavailable(f"the JWKS at {shown} took longer than {FETCH_DEADLINE:g} s to send")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["keys"]

    return fetch


def _get(url: str, shown: str, deadline: float) -> dict:
    try:
        # No redirects: the keys come from the configured URL, not from wherever it points on to.
        with requests.get(
            url,
            timeout=FETCH_TIMEOUT,
            headers={"Accept": "application/json"},
            allow_redirects=False,
            stream=True,
        ) as response:
            if response.status_code != 200:
                raise KeysUnavailable(f"the JWKS at {shown} answered {response.status_code}")
            body = _read_body(response.raw, deadline, shown)
        return json.loads(body)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        raise KeysUnavailable(f"cannot fetch the JWKS at {shown}: {type(error).__name__}") from None


def _read_body(raw: urllib3.HTTPResponse, deadline: float, shown: str) -> bytes:
    # A read waits for its bytes up to the read timeout; at the deadline a watchdog shuts the socket, which
    # ends the read at once, so the fetch's thread ends too.
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _shut, args=(raw,))
    watchdog.daemon = True
    watchdog.start()
    body = bytearray()
    try:
        while chunk := raw.read1(READ_SIZE, decode_content=True):
            body += chunk
            if len(body) > MAX_JWKS_SIZE:
                raise KeysUnavailable(f"the JWKS at {shown} is larger than {MAX_JWKS_SIZE} bytes")
            if time.monotonic() >= deadline:
                break
    except (urllib3.exceptions.HTTPError, OSError):
        if time.monotonic() < deadline:
            raise
    finally:
        watchdog.cancel()
    if time.monotonic() >= deadline:
        raise KeysUnavailable(f"the JWKS at {shown} took longer than {FETCH_DEADLINE:g} s to send")
    return bytes(body)


def _shut(raw: urllib3.HTTPResponse) -> None:
    # The fetch may have ended (its connection released) just as the deadline came: nothing to shut then.
    with contextlib.suppress(ValueError, RuntimeError, OSError):
        raw.shutdown()

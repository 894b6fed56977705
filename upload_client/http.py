"""HTTP sessions: one per thread, with connection pools sized for the workers.

Calls to UCS retry inside urllib3 (connection errors, timeouts, 429 and 5xx, exponential backoff with
jitter). Calls to the object store retry a level higher, in transfer.py, because an attempt there must
fetch a fresh URL and re-stream the part.
"""

from __future__ import annotations

import re
import threading

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from upload_client import __version__

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"upload-client/{__version__}"


def api_retry(total: int = 4, read: int | None = None) -> Retry:
    """The retry policy for UCS calls: every method, because UCS's operations are safe to repeat.

    read=0 stops retrying a call whose answer timed out: right for a call that may still be running.
    """
    return Retry(
        total=total,
        read=read,
        backoff_factor=0.25,
        backoff_jitter=0.25,
        backoff_max=8,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,
        raise_on_status=False,
        respect_retry_after_header=True,
    )


class ThreadSessions:
    """Hands each thread its own requests.Session (a Session is not safe to share between threads)."""

    def __init__(self, retry: Retry | int = 0, pool_size: int = 4):
        self._retry = retry
        self._pool_size = pool_size
        self._local = threading.local()

    def get(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(max_retries=self._retry, pool_maxsize=self._pool_size)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
        return session


_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\"\)]+)")


def timed_out(error: Exception) -> bool:
    """Whether a requests error is a timeout, also when urllib3's retries wrapped it in a ConnectionError."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    # urllib3's NewConnectionError (connection refused, no route) subclasses its ConnectTimeoutError.
    return isinstance(error, requests.Timeout) or (
        isinstance(reason, urllib3.exceptions.TimeoutError)
        and not isinstance(reason, urllib3.exceptions.NewConnectionError)
    )


def describe_connection_error(error: Exception) -> str:
    """The short cause of a requests connection error ("Connection refused"), not urllib3's whole chain."""
    if timed_out(error):
        return "timed out"
    match = _ERRNO_TEXT.search(str(error))
    if match:
        return match.group(1).strip()
    if "RemoteDisconnected" in str(error) or "Connection aborted" in str(error):
        return "the connection was closed without an answer"
    return type(error).__name__

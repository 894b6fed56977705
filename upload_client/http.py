"""HTTP: sessions per thread, the retry policy of UCS calls, and what each kind of answer means.

Calls to UCS retry inside urllib3 (connection errors, timeouts, 429 and 5xx, exponential backoff with
jitter). Calls to the object store retry a level higher, in the transfer engine, because an attempt there
must fetch a fresh URL and re-stream the part: check_store_answer says which answers deserve one.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from upload_client import __version__
from upload_client.config import TransferConfig
from upload_client.exceptions import TransferIncomplete, Transient, UrlRefused, one_line

USER_AGENT = f"upload-client/{__version__}"

#: Answers worth sending the same request again, to UCS or the store: busy, or failing for a while.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: UCS's (and a DRS server's) refusals of the caller: the token (401) or its permission (403).
REFUSED_STATUSES = frozenset({401, 403})
#: The answer to a token UCS does not accept (missing, invalid or expired): a newer one may do.
TOKEN_REFUSED = 401
#: The store's answer to a presigned URL that expired or was altered: a fresh URL may do.
URL_REFUSED = 403

# Failures of an attempt at the store worth another attempt: the network, the store busy, a refused URL.
TRANSIENT_ERRORS = (
    Transient,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
    ConnectionError,
)


def path_segment(text: str) -> str:
    """Ids are opaque strings (an upload id is the store's): percent-encode everything, slashes included."""
    return quote(text, safe="")


def api_retry(config: TransferConfig, read: int | None = None) -> Retry:
    """The retry policy for UCS calls: every method, because UCS's operations are safe to repeat.

    read=0 stops retrying a call whose answer timed out: right for a call that may still be running.
    Errors that are neither connecting nor reading (a failed TLS handshake, mostly) are not retried:
    the same server gives the same handshake.
    """
    return Retry(
        total=config.api_retries,
        read=read,
        other=0,
        backoff_factor=config.api_backoff_initial,
        backoff_jitter=config.api_backoff_initial,
        backoff_max=config.api_backoff_max,
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


def check_store_answer(response: requests.Response, what: str) -> None:
    """Raise unless the store accepted the request: a retryable error for 403, 429 and 5xx."""
    if response.ok:
        return
    if response.status_code == URL_REFUSED:
        raise UrlRefused(f"{what}: the store refused the presigned URL (403)")
    if response.status_code in RETRY_STATUSES or response.status_code >= 500:
        raise Transient(f"{what}: the store answered {response.status_code}")
    raise TransferIncomplete(
        f"{what}: the store refused it with {response.status_code}: {store_reason(response)}"
    )


_S3_ERROR = re.compile(r"<Code>(.*?)</Code>.*?<Message>(.*?)</Message>", re.DOTALL)


def store_reason(response: requests.Response) -> str:
    """The store's reason on one line: S3's error code and message, or the start of the answer."""
    text = response.text
    match = _S3_ERROR.search(text)
    if match:
        text = f"{match.group(1)}: {match.group(2)}"
    return one_line(text)[:200] or "no reason given"


_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\"\)]+)")


def timed_out(error: Exception) -> bool:
    """Whether a requests error is a timeout, also when urllib3's retries wrapped it in a ConnectionError."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    # urllib3's NewConnectionError (connection refused, no route) subclasses its ConnectTimeoutError.
    return isinstance(error, requests.Timeout) or (
        isinstance(reason, urllib3.exceptions.TimeoutError)
        and not isinstance(reason, urllib3.exceptions.NewConnectionError)
    )


#: What OpenSSL says when the other end answers a TLS handshake in plain text (plain http).
_PLAIN_HTTP = ("wrong version number", "record layer failure", "http request", "packet length too long")


def describe_tls_failure(base_url: str, error: Exception) -> str:
    """Why the TLS handshake with the server at base_url failed, and what to do about a plain http one."""
    netloc = urlsplit(base_url).netloc
    text = str(error).lower()
    if any(words in text for words in _PLAIN_HTTP):
        return (
            f"the server at {netloc} speaks plain http, not https (it answered the TLS handshake in "
            f"plain text): pass --api-url http://{netloc}"
        )
    match = re.search(r"\[SSL: [A-Z_]+\] ([^(]+)", str(error))
    reason = match.group(1).strip() if match else "the handshake failed"
    return f"the TLS handshake with {netloc} failed: {reason}"


def lost_answer(error: BaseException | None) -> bool:
    """Whether a requests connection error means that the request went out but its answer never came back
    (the connection was closed or reset), rather than that no connection was made or the answer timed out."""
    cause = error.args[0] if error is not None and error.args else None
    cause = getattr(cause, "reason", cause)  # urllib3's MaxRetryError, when its retries were used up
    return isinstance(cause, urllib3.exceptions.ProtocolError)


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


def describe(error: BaseException) -> str:
    """Why an attempt failed, in a few words: the connection error's cause, or the failure's message."""
    if isinstance(error, requests.RequestException | urllib3.exceptions.ProtocolError):
        return describe_connection_error(error)
    return str(error) or type(error).__name__

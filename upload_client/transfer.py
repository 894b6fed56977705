"""The transfer engine: parts moved by a thread pool, each retried on its own, progress to subscribers.

Modelled on s3transfer: a plain config object with documented defaults, subscribers that receive progress
callbacks (the CLI's progress bar is one), and a flat list of exceptions (upload_client.errors). What moves
(a part to a presigned URL, a byte range from one) is a function given to TransferEngine.run.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

import requests
import tenacity
import urllib3.exceptions

from upload_client.errors import ClientError, Interrupted, TransferIncomplete
from upload_client.http import RETRY_STATUSES, ThreadSessions, describe_connection_error

MiB = 1024 * 1024
T = TypeVar("T")


@dataclass
class TransferConfig:
    """How transfers run. The defaults suit most networks; every field can be changed per transfer."""

    #: Parts (or download ranges) in flight at once.
    max_concurrency: int = 4
    #: Bytes read from disk or the network per step; with max_concurrency, this bounds memory use.
    chunk_size: int = 1 * MiB
    #: Size of the ranges a download is split into (uploads use the part size UCS chose).
    download_range_size: int = 16 * MiB
    #: Attempts per part or range before the transfer stops (it can then be resumed).
    max_attempts: int = 6
    #: First backoff between attempts, in seconds; it doubles each time, with random jitter added.
    backoff_initial: float = 0.5
    #: Longest backoff between attempts, in seconds.
    backoff_max: float = 20.0
    #: Part URLs asked of UCS per request, ahead of the workers; None: max(32, 8 x max_concurrency);
    #: 0: one request per part on UCS's one-part route (as clients before the batch route did).
    part_url_batch: int | None = None
    #: Seconds to wait for the store to accept a connection, and between bytes of its answer.
    connect_timeout: float = 10.0
    read_timeout: float = 120.0


class TransferSubscriber:
    """Receives a transfer's events; override what you need (the defaults do nothing)."""

    def on_start(self, total_bytes: int, done_bytes: int, phase: str) -> None:
        """A phase begins ("upload", "verifying stored parts", ...): total_bytes in all, done_bytes already."""

    def on_progress(self, bytes_transferred: int) -> None:
        """More bytes were sent or received; across retries each byte is reported once."""

    def on_retry(self, what: str, reason: str, attempt: int) -> None:
        """An attempt at `what` failed for `reason` and will be tried again."""

    def on_done(self) -> None:
        """The phase ended, successfully or not."""

    def on_note(self, text: str) -> None:
        """A line for the person watching, e.g. what a resume reuses, or what a long step is doing."""


@dataclass(frozen=True, slots=True)
class Part:
    """A byte range of the file: a multipart upload part or a download range (numbered from 1)."""

    number: int
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def split(size: int, part_size: int) -> list[Part]:
    """Cut size bytes into parts of part_size; the last part holds the rest.

    An empty file is one empty part: a multipart upload completes only with at least one part.
    """
    if size == 0:
        return [Part(1, 0, 0)]
    return [
        Part(number, offset, min(part_size, size - offset))
        for number, offset in enumerate(range(0, size, part_size), start=1)
    ]


class Transient(Exception):
    """An attempt failed in a way that another attempt may fix."""


class UrlRefused(Transient):
    """The store refused the presigned URL (403): it expired or was altered; ask UCS for a new one."""


class ChecksumMismatch(Transient):
    """The store's ETag is not the MD5 of the bytes sent, or a range came back short."""


# Failures worth another attempt: the network, the store being busy or overloaded, a refused URL.
TRANSIENT_ERRORS = (
    Transient,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
    ConnectionError,
)


def check_store_answer(response: requests.Response, what: str) -> None:
    """Raise unless the store accepted the request: a retryable error for 403, 429 and 5xx."""
    if response.ok:
        return
    if response.status_code == 403:
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
    return " ".join(text.split())[:200] or "no reason given"


def describe(error: BaseException) -> str:
    if isinstance(error, requests.RequestException | urllib3.exceptions.ProtocolError):
        return describe_connection_error(error)
    return str(error) or type(error).__name__


class ByteCounter:
    """Reports the bytes of one part to the subscribers once, however many attempts the part takes."""

    def __init__(self, report: Callable[[int], None]):
        self._report = report
        self._position = 0
        self._reported = 0

    def restart(self) -> None:
        self._position = 0

    def advance(self, count: int) -> None:
        self._position += count
        if self._position > self._reported:
            self._report(self._position - self._reported)
            self._reported = self._position


class TransferEngine:
    """Runs one function per part on a thread pool, with retries, a stop switch and progress reports."""

    def __init__(
        self,
        config: TransferConfig | None = None,
        subscribers: Sequence[TransferSubscriber] = (),
        stop: threading.Event | None = None,
    ):
        self.config = config or TransferConfig()
        self.subscribers = list(subscribers)
        self.stop = stop or threading.Event()
        self.store_sessions = ThreadSessions(0, self.config.max_concurrency)
        self.timeout = (self.config.connect_timeout, self.config.read_timeout)
        self.retries = 0
        self._lock = threading.Lock()

    # Events.

    @contextlib.contextmanager
    def phase(self, name: str, total_bytes: int, done_bytes: int = 0) -> Iterator[None]:
        """Bytes reported inside the block count towards this phase (a bar of its own in the CLI)."""
        for subscriber in self.subscribers:
            subscriber.on_start(total_bytes, done_bytes, name)
        try:
            yield
        finally:
            for subscriber in self.subscribers:
                subscriber.on_done()

    def note(self, text: str) -> None:
        for subscriber in self.subscribers:
            subscriber.on_note(text)

    def counter(self) -> ByteCounter:
        return ByteCounter(self.report_progress)

    def report_progress(self, count: int) -> None:
        for subscriber in self.subscribers:
            subscriber.on_progress(count)

    def _retrying(self, what: str, state: tenacity.RetryCallState) -> None:
        with self._lock:
            self.retries += 1
        reason = describe(state.outcome.exception()) if state.outcome else "unknown"
        for subscriber in self.subscribers:
            subscriber.on_retry(what, reason, state.attempt_number)

    # Retries.

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise Interrupted("interrupted")

    def _sleep(self, seconds: float) -> None:
        # Waiting on the stop event makes the backoff end at once when the user presses Ctrl-C.
        if self.stop.wait(seconds):
            raise Interrupted("interrupted")

    def with_retries(self, what: str, attempt: Callable[[], T]) -> T:
        """Call attempt until it succeeds; transient failures are retried with jittered exponential backoff.

        When the attempts run out, raise TransferIncomplete naming what failed and why.
        """
        policy = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.config.max_attempts),
            wait=tenacity.wait_exponential_jitter(
                multiplier=self.config.backoff_initial,
                max=self.config.backoff_max,
                jitter=self.config.backoff_initial,
            ),
            retry=tenacity.retry_if_exception_type(TRANSIENT_ERRORS),
            before_sleep=lambda state: self._retrying(what, state),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return policy(attempt)
        except TRANSIENT_ERRORS as error:
            raise TransferIncomplete(
                f"{what} failed {self.config.max_attempts} times, last: {describe(error)}"
            ) from None

    # The pool.

    def run(self, parts: Iterable[Part], work: Callable[[Part], T]) -> dict[int, T]:
        """Call work(part) for every part on the pool; results by part number.

        Only a few parts more than the workers are queued at a time, so memory does not grow with the
        number of parts (a 10 TiB download has 655,360 ranges). The first failure stops the other
        workers (they stop between chunks) and is raised; an Interrupted is only raised when nothing
        else went wrong.
        """
        results: dict[int, T] = {}
        failure: ClientError | None = None
        waiting = iter(parts)
        in_flight: dict[Future, Part] = {}
        pool = ThreadPoolExecutor(self.config.max_concurrency, thread_name_prefix="transfer")

        def submit(count: int) -> None:
            for part in itertools.islice(waiting, count):
                in_flight[pool.submit(self._guarded, work, part)] = part

        try:
            submit(2 * self.config.max_concurrency)
            while in_flight:
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    part = in_flight.pop(future)
                    error = future.exception()
                    if error is None:
                        results[part.number] = future.result()
                        continue
                    self.stop.set()
                    if failure is None or (
                        isinstance(failure, Interrupted) and not isinstance(error, Interrupted)
                    ):
                        failure = error if isinstance(error, ClientError) else _unexpected(error)
                if failure is None:
                    submit(len(finished))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if failure is not None:
            raise failure
        return results

    def _guarded(self, work: Callable[[Part], T], part: Part) -> T:
        self.check_stop()
        return work(part)


def _unexpected(error: BaseException) -> ClientError:
    failure = ClientError(" ".join(f"unexpected {type(error).__name__}: {error}".split()))
    failure.__cause__ = error
    return failure

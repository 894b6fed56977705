"""The transfer engine: parts moved by a thread pool, each retried on its own, progress to subscribers.

Modelled on s3transfer: the knobs in one TransferConfig (upload_client.config), subscribers that receive
progress callbacks (upload_client.subscribers), and a flat list of exceptions (upload_client.exceptions).
What moves (a part to a presigned URL, a byte range from one) is a function given to TransferEngine.run.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

import requests
import tenacity

from upload_client.config import TransferConfig
from upload_client.exceptions import ClientError, Interrupted, RetriesExceeded, one_line
from upload_client.http import TRANSIENT_ERRORS, ThreadSessions, describe, describe_connection_error
from upload_client.parts import Part
from upload_client.subscribers import ByteCounter, TransferSubscriber

T = TypeVar("T")


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

    def sleep(self, seconds: float) -> None:
        """Wait between attempts; Interrupted at once when the user presses Ctrl-C."""
        # Waiting on the stop event makes the backoff end at once when the user presses Ctrl-C.
        if self.stop.wait(seconds):
            raise Interrupted("interrupted")

    def with_retries(self, what: str, attempt: Callable[[], T]) -> T:
        """Call attempt until it succeeds; transient failures are retried with jittered exponential backoff.

        When the attempts run out, raise RetriesExceeded naming what failed and why, the last failure kept.
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
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return policy(attempt)
        except TRANSIENT_ERRORS as error:
            raise RetriesExceeded(
                f"{what} failed {self.config.max_attempts} times, last: {describe(error)}", error
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
                        failure = error if isinstance(error, ClientError) else unexpected_failure(error)
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


def unexpected_failure(error: BaseException) -> ClientError:
    """A part's failure that no retry rule knows, as the client's error, with the cause kept."""
    # A requests error's text may hold the presigned URL it was about, signature and all.
    cause = describe_connection_error(error) if isinstance(error, requests.RequestException) else error
    failure = ClientError(one_line(f"unexpected {type(error).__name__}: {cause}"))
    failure.__cause__ = error
    return failure

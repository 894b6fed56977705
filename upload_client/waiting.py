"""Waiting for a file that UCS is still validating: ask again after Retry-After, up to a deadline.

With validation, UCS serves a file once its upload is accepted. Until the verdict, `GET /files/F/download`
answers 409 with a Retry-After header, and a DRS server answers 202 with Retry-After, as DRS defines "not
ready yet" (docs/api.md, docs/drs.md). The client reads both as NotReady; wait_until_ready asks again
after the delay the server named (capped, so a long one cannot stall the client past its deadline),
saying once that it waits and then every minute how long it has waited (docs/client.md, "Waiting").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from upload_client.exceptions import Interrupted, NotReady, StillValidating

T = TypeVar("T")

#: The longest pause between two questions, whatever Retry-After says.
RETRY_AFTER_MAX = 30.0
#: The shortest pause, so a Retry-After of 0 does not turn the wait into a stream of requests.
RETRY_AFTER_MIN = 1.0
#: The pause when a server says "not ready" without naming one.
RETRY_AFTER_DEFAULT = 5.0
#: Reads Retry-After as urllib3 does for the API's retries (its 6 h cap is far above RETRY_AFTER_MAX).
_RETRY = Retry()
#: Seconds between the lines that say the client is still waiting.
REMINDER_INTERVAL = 60.0


class Patience:
    """How long a wait may last, and its clock: sleeps end at once on Ctrl-C (the stop event)."""

    def __init__(self, timeout: float, stop: threading.Event | None = None):
        self.timeout = timeout
        self.stop = stop or threading.Event()

    def clock(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Interrupted("interrupted while waiting for the verdict; UCS goes on validating the file")


class Deadline:
    """One wait: when it began, how much is left, and when to say again that it goes on."""

    def __init__(self, patience: Patience):
        self.patience = patience
        self.began = patience.clock()
        self._reminded = self.began

    @property
    def elapsed(self) -> float:
        return self.patience.clock() - self.began

    @property
    def left(self) -> float:
        return self.patience.timeout - self.elapsed

    def reminder_due(self) -> bool:
        now = self.patience.clock()
        if now - self._reminded < REMINDER_INTERVAL:
            return False
        self._reminded = now
        return True

    def pause(self, seconds: float) -> None:
        """Sleep for seconds, but not past the deadline."""
        self.patience.sleep(max(0.0, min(seconds, self.left)))


def retry_after(response: requests.Response) -> float | None:
    """The seconds a Retry-After header asks for (a number or an HTTP date); None without a valid one."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(_RETRY.parse_retry_after(value))
    except (InvalidHeader, ValueError, OverflowError):  # a date that is none, or out of any range
        return None


def not_ready(response: requests.Response, body: Any) -> NotReady | None:
    """The answer as NotReady when it means "the file is being validated, ask again later", else None.

    That is DRS's 202 (Retry-After optional), or UCS's 409 with a Retry-After (other 409s are final).
    """
    seconds = retry_after(response)
    if response.status_code != 202 and not (response.status_code == 409 and seconds is not None):
        return None
    message = (body.get("message") or body.get("msg")) if isinstance(body, dict) else None
    return NotReady(response.status_code, " ".join(str(message or "not ready yet").split()), seconds)


def wait_until_ready(ask: Callable[[], T], what: str, patience: Patience, note: Callable[[str], None]) -> T:
    """ask(), asked again while its answer is NotReady; StillValidating once patience.timeout has passed.

    what names the file in the lines that say so ("file F").
    """
    deadline = Deadline(patience)
    announced = False
    while True:
        try:
            return ask()
        except NotReady as pending:
            if deadline.left <= 0:
                raise StillValidating(
                    f"{what} is still being validated after {deadline.elapsed:.0f} s of waiting "
                    f"(--wait-timeout {patience.timeout:g}): {pending}; run the same command again later"
                ) from None
            if not announced:
                note(f"{what} is being validated; waiting up to {patience.timeout:g} s")
                announced = True
            elif deadline.reminder_due():
                note(f"{what} is still being validated ({deadline.elapsed:.0f} s waited)")
            delay = RETRY_AFTER_DEFAULT if pending.retry_after is None else pending.retry_after
            deadline.pause(min(max(delay, RETRY_AFTER_MIN), RETRY_AFTER_MAX))

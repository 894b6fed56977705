"""Presigned part URLs, asked for in batches a window ahead of the workers.

One request to UCS signs up to a window of parts (POST .../parts/presigned_posts), so a 10,000-part upload
costs UCS tens of requests instead of 10,000. The window is small enough that URLs are used long before
they expire; a URL is used once, and a part that needs another attempt (a refused or expired URL, a
network error) gets a fresh one. Against a UCS without the batch route the client signs one part per
request, as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from upload_client.api import UcsClient
from upload_client.config import MAX_URL_BATCH
from upload_client.exceptions import ApiError

# A URL this close to its expiry is not handed out: the part it signs may take that long to send.
EXPIRY_MARGIN = timedelta(seconds=60)


class PartUrls:
    """Hands each part its URL; fetches the next window of parts' URLs when the one asked for is missing."""

    def __init__(
        self, api: UcsClient, upload_id: str, part_numbers: Sequence[int], window: int, batched: bool = True
    ):
        self.api = api
        self.upload_id = upload_id
        self.window = max(1, min(window, MAX_URL_BATCH))
        self._order = list(part_numbers)
        self._position = {number: index for index, number in enumerate(self._order)}
        self._urls: dict[int, dict] = {}
        self._used: set[int] = set()
        self._lock = threading.Lock()
        self.batched = batched
        self.requests = 0
        #: Seconds spent waiting for UCS's answers, summed over the workers that waited.
        self.seconds = 0.0

    def url(self, part_no: int) -> dict:
        """A URL for part_no not handed out before, valid for a while yet."""
        began = time.monotonic()
        try:
            return self._url(part_no)
        finally:
            with self._lock:
                self.seconds += time.monotonic() - began

    def _url(self, part_no: int) -> dict:
        with self._lock:
            ready = self._urls.pop(part_no, None)
            if ready is not None and _fresh(ready):
                self._used.add(part_no)
                return ready
            if self.batched:
                numbers = self._window_from(part_no)
                fetched = self._fetch(numbers)
                if fetched is not None:
                    self._urls.update(fetched)
                    self._used.add(part_no)
                    return self._urls.pop(part_no)
        with self._lock:
            self.requests += 1
        return self.api.part_url(self.upload_id, part_no)

    def _window_from(self, part_no: int) -> list[int]:
        """part_no and the parts after it that have no URL yet and were not sent, up to the window."""
        start = self._position.get(part_no, 0)
        numbers = [part_no]
        for number in self._order[start + 1 :]:
            if len(numbers) == self.window:
                break
            if number not in self._urls and number not in self._used:
                numbers.append(number)
        return numbers

    def _fetch(self, numbers: list[int]) -> dict[int, dict] | None:
        self.requests += 1
        try:
            answer = self.api.part_urls(self.upload_id, numbers)
        except ApiError as error:
            if not _no_batch_route(error):
                raise
            self.batched = False  # an older UCS: one part per request from now on
            return None
        return {item["part_no"]: item for item in answer}


def _no_batch_route(error: ApiError) -> bool:
    # Without the route, UCS matches the path to /multipart_uploads/<id> and answers 405 (or 404 from a
    # proxy that knows no such path): not the 404 that says the upload itself is unknown.
    return error.status == 405 or (error.status == 404 and str(error).startswith("no such resource"))


def _fresh(url: dict) -> bool:
    expires_at = url.get("expires_at")
    if not expires_at:
        return True
    try:
        moment = datetime.fromisoformat(expires_at)
    except ValueError:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment - datetime.now(UTC) > EXPIRY_MARGIN

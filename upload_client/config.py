"""TransferConfig: every knob of a transfer in one validated object, built once and handed down.

As s3transfer's TransferConfig: plain fields with documented defaults. The command line builds one from
its options (upload_client.cli); the UCS client, the engine and the part URL batches read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from upload_client.exceptions import InvalidConfig

MiB = 1024 * 1024
#: The most part URLs UCS signs in one request (its batch route, docs/api.md).
MAX_URL_BATCH = 1000
#: Seconds to wait for a verdict unless told otherwise: validation reads the whole object back.
DEFAULT_WAIT_TIMEOUT = 3600.0


@dataclass(frozen=True)
class TransferConfig:
    """How transfers run. The defaults suit most networks; a field out of range raises InvalidConfig."""

    # The transfer.

    #: Parts (or download ranges) in flight at once; also the size of the connection pools.
    max_concurrency: int = 4
    #: Bytes read from disk or the network per step; with max_concurrency, this bounds memory use.
    chunk_size: int = 1 * MiB
    #: Size of the ranges a download is split into (uploads use the part size UCS chose).
    download_range_size: int = 16 * MiB
    #: Part URLs asked of UCS per request, ahead of the workers; None: max(32, 8 x max_concurrency);
    #: 0: one request per part on UCS's one-part route (as clients before the batch route did).
    part_url_batch: int | None = None

    # Sending a part to the store, or fetching a range from it: each is retried as a whole.

    #: Attempts per part or range before the transfer stops (it can then be resumed).
    max_attempts: int = 6
    #: First backoff between attempts, in seconds; it doubles each time, with random jitter added.
    backoff_initial: float = 0.5
    #: Longest backoff between attempts, in seconds.
    backoff_max: float = 20.0
    #: Seconds to wait for the store to accept a connection, and between bytes of its answer.
    store_connect_timeout: float = 10.0
    store_read_timeout: float = 120.0

    # Calls to UCS (or a DRS server): retried inside urllib3, since they are safe to repeat.

    #: Retries of a call that failed to connect, timed out or was answered 429 or 5xx.
    api_retries: int = 4
    #: First backoff between retries, in seconds (doubling, with as much jitter added).
    api_backoff_initial: float = 0.25
    #: Longest backoff between retries, in seconds.
    api_backoff_max: float = 8.0
    #: Seconds to wait for UCS to accept a connection, and for its answer.
    api_connect_timeout: float = 10.0
    api_read_timeout: float = 60.0
    #: Seconds to wait for the answer to a completion, which comes once the store has joined every part:
    #: minutes for a TiB object. A shorter wait would give up on a completion still running.
    completion_timeout: float = 3600.0

    # Validation (docs/client.md, "Waiting for the verdict").

    #: Seconds a download waits for a file UCS is still validating, and `upload --wait` for the verdict;
    #: 0: do not wait.
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT

    def __post_init__(self) -> None:
        for name in ("max_concurrency", "chunk_size", "download_range_size", "max_attempts"):
            self._check_whole(name, 1)
        self._check_whole("api_retries", 0)
        if self.part_url_batch is not None:
            self._check_whole("part_url_batch", 0, MAX_URL_BATCH)
        for name in (
            "backoff_initial",
            "backoff_max",
            "api_backoff_initial",
            "api_backoff_max",
            "wait_timeout",
        ):
            self._check_seconds(name, zero_allowed=True)
        for name in (
            "store_connect_timeout",
            "store_read_timeout",
            "api_connect_timeout",
            "api_read_timeout",
            "completion_timeout",
        ):
            self._check_seconds(name, zero_allowed=False)

    @property
    def store_timeout(self) -> tuple[float, float]:
        """(connect, read) seconds for each request to the store."""
        return self.store_connect_timeout, self.store_read_timeout

    @property
    def api_timeout(self) -> tuple[float, float]:
        """(connect, read) seconds for each call to UCS, but the completion."""
        return self.api_connect_timeout, self.api_read_timeout

    @property
    def part_url_window(self) -> int:
        """Part URLs asked for at once: a few per worker, since URLs are used within minutes of signing."""
        if self.part_url_batch is None:
            return max(32, 8 * self.max_concurrency)
        return max(self.part_url_batch, 1)

    @property
    def batched_part_urls(self) -> bool:
        """Whether part URLs come from UCS's batch route (part_url_batch 0 asks for one at a time)."""
        return self.part_url_batch != 0

    def _check_whole(self, name: str, least: int, most: int | None = None) -> None:
        value = getattr(self, name)
        within = isinstance(value, int) and not isinstance(value, bool) and value >= least
        if not within or (most is not None and value > most):
            bounds = f"from {least} to {most}" if most is not None else f"of at least {least}"
            raise InvalidConfig(f"TransferConfig.{name} must be a whole number {bounds}, not {value!r}")

    def _check_seconds(self, name: str, zero_allowed: bool) -> None:
        value = getattr(self, name)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or value < 0 or (value == 0 and not zero_allowed) or value != value:
            kind = "zero or more" if zero_allowed else "more than zero"
            raise InvalidConfig(f"TransferConfig.{name} must be {kind} seconds, not {value!r}")

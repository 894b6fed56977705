"""Read a stored object back and hash it: ranges read in parallel, hashed strictly in order.

digest_object() asks the store for the object's size and ETag, reads it in ranges of range_size bytes with
up to `readers` ranges in flight at once (each through StorageBackend.read_range, on its own thread), and
feeds SHA-256 in order while the later ranges are read ahead. Memory is bounded twice over:

- a range's slot goes to the next range only once its last byte has been hashed, so at most `readers`
  ranges are open, and at most readers x range_size bytes are held;
- within a range, a reader more than buffer_size bytes ahead of the hashing waits, its connection paused
  (TCP holds the store back), so at most readers x buffer_size bytes are held whatever the range size.
  Large ranges cost the store and the client fewer requests; the buffer keeps them from costing memory.

Store errors come out as the neutral exceptions of ucs.storage: an outage (StorageUnavailable) stays
distinct from a missing object (ObjectNotFound) or one that changed while it was read (ObjectChanged).
The first error stops every other read and closes every stream.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ucs.storage import ObjectInfo, StorageBackend, StorageError

MiB = 1024 * 1024

#: Called with the number of bytes hashed so far, after each chunk.
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ReadConfig:
    """How an object is read: `readers` ranges of `range_size` bytes at once, each reader at most
    `buffer_size` bytes ahead of the hashing (docs/benchmarks.md has the measurements behind the defaults)."""

    readers: int = 4
    range_size: int = 16 * MiB
    buffer_size: int = 1 * MiB

    def __post_init__(self) -> None:
        for name in ("readers", "range_size", "buffer_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")


@dataclass(frozen=True)
class ObjectDigest:
    """What was read: the object's size (every byte hashed), its SHA-256 in hex and its ETag."""

    size: int
    sha256: str
    etag: str


class ObjectChanged(StorageError):
    """The object changed while it was read: a range ended early or ran long, or its ETag moved on."""


class ReadStopped(Exception):
    """The caller's stop event was set: the read gave up before the end (a graceful shutdown)."""


def digest_object(
    backend: StorageBackend,
    key: str,
    config: ReadConfig = ReadConfig(),
    progress: Progress | None = None,
    *,
    info: ObjectInfo | None = None,
    stop: threading.Event | None = None,
) -> ObjectDigest:
    """Read every byte of the object under key and return its size, SHA-256 and ETag.

    info is the object's head_object answer when the caller already has it (to compare the size first);
    else it is asked for here. Once the last byte is read the object is looked up again: a different size
    or ETag means it was replaced while it was read (ObjectChanged), so the digest is never a mix of two
    objects. Raises ObjectNotFound, StorageUnavailable, ObjectChanged, another StorageError, or ReadStopped.
    """
    before = info if info is not None else backend.head_object(key)
    sha256 = hashlib.sha256()
    hashed = 0
    for chunk in chunks_in_order(backend, key, before.size, config, stop):
        sha256.update(chunk)
        hashed += len(chunk)
        if progress is not None:
            progress(hashed)
    after = backend.head_object(key)
    if (after.size, after.etag) != (before.size, before.etag):
        raise ObjectChanged(
            f"object {key} changed while it was read: size {before.size} and ETag {before.etag} before, "
            f"size {after.size} and ETag {after.etag} after"
        )
    return ObjectDigest(size=hashed, sha256=sha256.hexdigest(), etag=before.etag)


def chunks_in_order(
    backend: StorageBackend,
    key: str,
    size: int,
    config: ReadConfig = ReadConfig(),
    stop: threading.Event | None = None,
) -> Iterator[bytes]:
    """The object's first size bytes, in order, read as ranges by config.readers threads at once.

    A chunk counts as held until the caller asks for the next one: hash it before. Close the iterator
    (or read it to the end) to stop the threads; one left half-read keeps them until it is collected.
    """
    ranges = [(start, min(config.range_size, size - start)) for start in range(0, size, config.range_size)]
    reads = _RangeReads(backend, key, size, ranges, config.buffer_size)
    with ThreadPoolExecutor(config.readers, thread_name_prefix="ucs-read") as pool:
        try:
            yield from reads.in_order(pool, config.readers, stop)
        finally:
            # Readers still going stop at their next chunk and close their streams; ranges not yet
            # started never start. Leaving the with waits for them, so no stream outlives this call.
            reads.stop()
            pool.shutdown(wait=True, cancel_futures=True)


_END = object()  # a range's last event: all its bytes were delivered


class _RangeReads:
    """The reads of one object: each reader thread puts (range index, chunk | _END | error) on one queue,
    and waits while its range holds buffer_size bytes the hashing thread has not taken back."""

    def __init__(
        self, backend: StorageBackend, key: str, size: int, ranges: list[tuple[int, int]], buffer_size: int
    ):
        self.backend = backend
        self.key = key
        self.size = size
        self.ranges = ranges
        self.buffer_size = buffer_size
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.stopping = threading.Event()
        # Bytes delivered and not yet hashed, by range; a reader waits on room when its range is full.
        self.held: dict[int, int] = {}
        self.room = threading.Condition()

    def stop(self) -> None:
        self.stopping.set()
        with self.room:
            self.room.notify_all()

    def read(self, index: int) -> None:
        """Read range index onto the queue (runs on a reader thread)."""
        start, length = self.ranges[index]
        received = 0
        try:
            with contextlib.closing(self.backend.read_range(self.key, start, length)) as chunks:
                for chunk in chunks:
                    received += len(chunk)
                    if received > length:
                        raise self._changed(start, length, f"more than {length} bytes")
                    if not self._make_room(index, len(chunk)):
                        return
                    self.events.put((index, chunk))
            if received < length:
                raise self._changed(start, length, f"only {received} bytes")
            self.events.put((index, _END))
        except BaseException as error:  # noqa: BLE001 - every failure goes to the hashing thread
            self.events.put((index, error))

    def _make_room(self, index: int, size: int) -> bool:
        """Wait until range index may hold size more bytes (at least one chunk always fits); False once
        the read is stopping."""
        with self.room:
            while self.held.get(index, 0) and self.held[index] + size > self.buffer_size:
                if self.stopping.is_set():
                    return False
                self.room.wait()
            self.held[index] = self.held.get(index, 0) + size
            return not self.stopping.is_set()

    def _hashed(self, index: int, size: int) -> None:
        with self.room:
            self.held[index] -= size
            self.room.notify_all()

    def _changed(self, start: int, length: int, what: str) -> ObjectChanged:
        return ObjectChanged(
            f"object {self.key} changed while it was read: bytes {start}-{start + length - 1} of its "
            f"{self.size} gave {what}"
        )

    def in_order(
        self, pool: ThreadPoolExecutor, readers: int, stop: threading.Event | None
    ) -> Iterator[bytes]:
        """Yield the chunks range after range; a new range starts only when an earlier one is all hashed."""
        started = 0
        for _ in range(min(readers, len(self.ranges))):
            pool.submit(self.read, started)
            started += 1
        # Chunks that arrived before their turn, by range; the head range's are yielded as they come.
        waiting: dict[int, deque] = {}
        head = 0
        while head < len(self.ranges):
            index, item = self._next_event(stop)
            if isinstance(item, BaseException):
                raise item
            waiting.setdefault(index, deque()).append(item)
            while head in waiting and waiting[head]:
                item = waiting[head].popleft()
                if item is not _END:
                    yield item  # the caller hashes it before asking for the next one
                    self._hashed(head, len(item))
                    continue
                del waiting[head]
                head += 1
                if started < len(self.ranges):
                    pool.submit(self.read, started)
                    started += 1

    def _next_event(self, stop: threading.Event | None) -> tuple[int, object]:
        if stop is None:
            return self.events.get()
        while True:  # look at the stop event a few times a second, even while a read hangs
            if stop.is_set():
                raise ReadStopped(f"stopped reading object {self.key}")
            with contextlib.suppress(queue.Empty):
                return self.events.get(timeout=0.2)

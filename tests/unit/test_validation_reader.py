"""The reading engine (ucs/validation/reader.py) on a stub backend: order, bounded read-ahead, errors."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from ucs.storage import ObjectInfo, ObjectNotFound, StorageUnavailable
from ucs.validation.reader import ObjectChanged, ReadConfig, ReadStopped, chunks_in_order, digest_object

CHUNK = 4  # the stub's chunk: a range of 16 bytes comes in four chunks
WAIT = 10  # seconds a stub waits for the engine before the test fails instead of hanging


class StubBackend:
    """An object in memory, read through read_range; records every stream it opens and closes.

    hold_range: that range's stream waits before its first chunk until release is set.
    fail_range: that range's stream raises fail_with after its first chunk.
    """

    def __init__(self, data: bytes, etag: str = '"stub-1"'):
        self.data = data
        self.etag = etag
        self.lock = threading.Lock()
        self.opened: list[int] = []  # range starts, in the order their streams were opened
        self.closed: list[int] = []
        self.delivered = 0  # bytes handed to the engine so far, over every stream
        self.most_held = 0  # the most bytes handed over but not yet hashed, at any moment
        self.hashed = 0  # bytes the engine reported hashed (its progress callback)
        self.hold_range: int | None = None
        self.release = threading.Event()
        self.fail_range: int | None = None
        self.fail_with: Exception = StorageUnavailable("the store went away")
        self.heads = 0

    def head_object(self, key: str) -> ObjectInfo:
        self.heads += 1
        return ObjectInfo(size=len(self.data), etag=self.etag)

    def progress(self, hashed: int) -> None:
        with self.lock:
            assert hashed >= self.hashed
            self.hashed = hashed

    def read_range(self, key: str, start: int, length: int):
        return self._stream(start, length)

    def _stream(self, start: int, length: int):
        with self.lock:
            self.opened.append(start)
        try:
            if start == self.hold_range:
                assert self.release.wait(WAIT), "the engine never read ahead"
            for offset in range(start, min(start + length, len(self.data)), CHUNK):
                chunk = self.data[offset : min(offset + CHUNK, start + length)]
                with self.lock:
                    self.delivered += len(chunk)
                    self.most_held = max(self.most_held, self.delivered - self.hashed)
                yield chunk
                if start == self.fail_range:
                    raise self.fail_with
        finally:
            with self.lock:
                self.closed.append(start)


def test_the_digest_is_the_objects_sha256_size_and_etag():
    data = os.urandom(1000)
    backend = StubBackend(data)
    digest = digest_object(backend, "k", ReadConfig(readers=3, range_size=64), backend.progress)
    assert (digest.size, digest.sha256, digest.etag) == (1000, hashlib.sha256(data).hexdigest(), '"stub-1"')
    assert backend.hashed == 1000
    assert sorted(backend.opened) == list(range(0, 1000, 64))


def test_ranges_that_arrive_out_of_order_are_hashed_in_order():
    """The first range waits until the others are read: they arrive first, and are hashed after it."""
    data = os.urandom(64)
    backend = StubBackend(data)
    backend.hold_range = 0
    order: list[bytes] = []

    def read_all():
        reads = chunks_in_order(backend, "k", len(data), ReadConfig(readers=4, range_size=16))
        for chunk in reads:
            order.append(chunk)

    # Range 0 waits for release, which is set once the three later ranges are all delivered.
    watcher = threading.Thread(target=read_all, daemon=True)
    watcher.start()
    assert wait_until(lambda: backend.delivered == 48)
    backend.release.set()
    watcher.join(WAIT)
    assert b"".join(order) == data


def test_at_most_readers_ranges_are_read_ahead():
    """With the head range held back, only readers ranges are opened and at most readers x range_size
    bytes are held; the next range opens only once the head range is all hashed."""
    data = os.urandom(16 * 10)
    backend = StubBackend(data)
    backend.hold_range = 0
    result = {}

    def run():
        result["digest"] = digest_object(backend, "k", ReadConfig(readers=3, range_size=16), backend.progress)

    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    assert wait_until(lambda: backend.delivered == 32)  # ranges 1 and 2, read ahead in full
    assert sorted(backend.opened) == [0, 16, 32]  # no fourth range while the head is held
    backend.release.set()
    reader.join(WAIT)
    assert result["digest"].sha256 == hashlib.sha256(data).hexdigest()
    assert backend.most_held <= 3 * 16
    assert sorted(backend.closed) == sorted(backend.opened) == list(range(0, 160, 16))


def test_a_reader_buffer_size_ahead_of_the_hashing_waits():
    """Ranges larger than the buffer: the readers ahead stop at buffer_size bytes held (plus the chunk in
    hand) until the hashing takes them, so at most readers x buffer_size bytes are held."""
    data = os.urandom(64 * 6)
    backend = StubBackend(data)
    backend.hold_range = 0
    result = {}
    config = ReadConfig(readers=3, range_size=64, buffer_size=2 * CHUNK)

    def run():
        result["digest"] = digest_object(backend, "k", config, backend.progress)

    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    # Ranges 1 and 2: two chunks queued and a third in hand each, then they wait.
    assert wait_until(lambda: backend.delivered == 2 * 3 * CHUNK)
    assert not wait_until(lambda: backend.delivered > 2 * 3 * CHUNK, seconds=0.3)
    backend.release.set()
    reader.join(WAIT)
    assert result["digest"].sha256 == hashlib.sha256(data).hexdigest()
    assert backend.most_held <= 3 * (2 * CHUNK + CHUNK)


def test_an_error_mid_way_stops_the_other_reads_and_closes_every_stream():
    data = os.urandom(16 * 20)
    backend = StubBackend(data)
    backend.fail_range = 32
    with pytest.raises(StorageUnavailable, match="went away"):
        digest_object(backend, "k", ReadConfig(readers=2, range_size=16), backend.progress)
    assert 32 in backend.opened
    assert len(backend.opened) < 20  # the ranges after the failure were never read
    assert sorted(backend.closed) == sorted(backend.opened)
    assert backend.hashed < len(data)


def test_a_missing_object_is_object_not_found():
    backend = StubBackend(os.urandom(100))
    backend.fail_range, backend.fail_with = 0, ObjectNotFound("no object k")
    with pytest.raises(ObjectNotFound):
        digest_object(backend, "k", ReadConfig(readers=2, range_size=32))


def test_an_object_shorter_than_its_size_changed_while_read():
    backend = StubBackend(os.urandom(100))
    with pytest.raises(ObjectChanged, match="bytes 96-111 of its 112 gave only 4 bytes"):
        digest_object(backend, "k", ReadConfig(readers=2, range_size=16), info=ObjectInfo(112, '"stub-1"'))


def test_an_object_whose_etag_moved_on_while_read_changed():
    backend = StubBackend(os.urandom(100))
    with pytest.raises(ObjectChanged, match='ETag "stub-0" before'):
        digest_object(backend, "k", ReadConfig(readers=2, range_size=16), info=ObjectInfo(100, '"stub-0"'))


def test_a_0_byte_object_is_read_without_a_range():
    backend = StubBackend(b"")
    digest = digest_object(backend, "k", ReadConfig(readers=4, range_size=16))
    assert (digest.size, digest.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert backend.opened == []


def test_a_stop_event_ends_the_read_and_closes_every_stream():
    backend = StubBackend(os.urandom(64))
    stop = threading.Event()
    stop.set()
    with pytest.raises(ReadStopped):
        digest_object(backend, "k", ReadConfig(readers=2, range_size=16), stop=stop)
    assert sorted(backend.closed) == sorted(backend.opened)
    assert backend.hashed == 0


@pytest.mark.parametrize(("readers", "range_size"), [(0, 16), (2, 0)])
def test_a_config_that_reads_nothing_is_refused(readers, range_size):
    with pytest.raises(ValueError, match="at least 1"):
        ReadConfig(readers=readers, range_size=range_size)


def wait_until(condition, seconds: float = WAIT) -> bool:
    """Poll a condition the engine's threads make true; False after that many seconds."""
    done = threading.Event()
    for _ in range(int(seconds * 100)):
        if condition():
            return True
        done.wait(0.01)
    return False

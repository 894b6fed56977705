"""A download's SHA-256 from the bytes as they arrive: in order, whatever order the ranges come in."""

from __future__ import annotations

import hashlib
import os
import random
import threading

import pytest

from tests.support.client_subscriber import Recorder
from upload_client.arrival_hash import ArrivalHasher
from upload_client.config import TransferConfig
from upload_client.exceptions import Interrupted
from upload_client.parts import split
from upload_client.transfer import TransferEngine

DATA = os.urandom(50_000)
SHA256 = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def fd(tmp_path):
    """An empty file of DATA's size, as a download's PATH.part is once reserved."""
    path = tmp_path / "out.part"
    path.write_bytes(b"\0" * len(DATA))
    descriptor = os.open(path, os.O_RDWR)
    yield descriptor
    os.close(descriptor)


class CountingReads:
    """Counts the bytes the hasher reads back from disk."""

    def __init__(self, monkeypatch):
        self.bytes = 0
        real = os.pread

        def pread(fd, count, offset):
            data = real(fd, count, offset)
            self.bytes += len(data)
            return data

        monkeypatch.setattr(os, "pread", pread)


def arrive(fd: int, hasher: ArrivalHasher, part, chunk_size: int = 1000) -> None:
    """What a worker does with a range: write each chunk in place, then offer it."""
    for offset in range(part.offset, part.end, chunk_size):
        chunk = DATA[offset : min(offset + chunk_size, part.end)]
        os.pwrite(fd, chunk, offset)
        hasher.offer(part, offset, chunk)


def test_ranges_arriving_in_order_are_hashed_without_reading_anything_back(fd, monkeypatch):
    reads = CountingReads(monkeypatch)
    parts = split(len(DATA), 8192)
    hasher = ArrivalHasher(fd, parts, 1000, threading.Event()).start()
    for part in parts:
        arrive(fd, hasher, part)
    assert hasher.hexdigest() == SHA256
    assert reads.bytes == 0


def test_ranges_arriving_in_any_order_and_in_parallel_give_the_file_sha256(fd):
    parts = split(len(DATA), 4096)
    shuffled = list(parts)
    random.Random(3).shuffle(shuffled)
    hasher = ArrivalHasher(fd, parts, 1000, threading.Event()).start()
    workers = [
        threading.Thread(target=lambda group=shuffled[i::3]: [arrive(fd, hasher, p, 700) for p in group])
        for i in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert hasher.hexdigest() == SHA256


def test_a_range_sent_again_after_a_failed_attempt_is_hashed_once(fd):
    parts = split(len(DATA), 10_000)
    hasher = ArrivalHasher(fd, parts, 1000, threading.Event()).start()
    first = parts[0]
    half = first.offset + first.size // 2
    arrive(fd, hasher, type(first)(first.number, first.offset, half - first.offset))  # the attempt breaks
    for part in parts:  # the retry sends the whole range again, the others follow
        arrive(fd, hasher, part, 900)
    assert hasher.hexdigest() == SHA256


def test_ranges_on_disk_before_a_resume_are_read_back(fd, monkeypatch):
    parts = split(len(DATA), 10_000)
    os.pwrite(fd, DATA[: parts[1].end], 0)  # ranges 1 and 2 came in an earlier run
    reads = CountingReads(monkeypatch)
    hasher = ArrivalHasher(fd, parts, 1000, threading.Event()).resuming({1, 2}).start()
    for part in parts[2:]:
        arrive(fd, hasher, part)
    assert hasher.hexdigest() == SHA256
    assert reads.bytes >= parts[1].end


def test_the_pass_stops_when_asked(fd):
    stop = threading.Event()
    hasher = ArrivalHasher(fd, split(len(DATA), 4096), 1000, stop).start()
    stop.set()
    with pytest.raises(Interrupted):
        hasher.hexdigest()


def test_waiting_for_an_unfinished_pass_is_a_phase_with_progress(fd):
    parts = split(len(DATA), 4096)
    recorder = Recorder()
    engine = TransferEngine(TransferConfig(), [recorder])
    hasher = ArrivalHasher(fd, parts, 1000, engine.stop).start()
    arrive(fd, hasher, parts[0])
    threading.Timer(0.3, lambda: [arrive(fd, hasher, part) for part in parts[1:]]).start()

    assert hasher.result(engine) == SHA256

    assert recorder.phases == [("computing SHA-256", len(DATA), 4096)]
    assert recorder.progress_by_phase == {"computing SHA-256": len(DATA) - 4096}


def test_an_empty_download_has_the_empty_sha256(fd):
    hasher = ArrivalHasher(fd, split(0, 4096), 1000, threading.Event()).start()
    assert hasher.hexdigest() == hashlib.sha256(b"").hexdigest()

"""Reading byte ranges: part bodies for PUTs, part MD5s, and the sequential SHA-256."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from tests.support.client_subscriber import Recorder
from upload_client.config import TransferConfig
from upload_client.exceptions import BadInput, Interrupted
from upload_client.parts import Part, split
from upload_client.streams import PartBody, SequentialHasher, part_md5, read_range
from upload_client.subscribers import ByteCounter
from upload_client.transfer import TransferEngine

DATA = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    return path


@pytest.fixture
def fd(path):
    descriptor = os.open(path, os.O_RDONLY)
    yield descriptor
    os.close(descriptor)


def test_part_body_streams_its_range_in_chunks_with_a_length_and_an_md5(fd):
    progress = []
    body = PartBody(fd, Part(2, 4000, 3000), 1024, threading.Event(), ByteCounter(progress.append))
    chunks = list(body)
    assert len(body) == 3000
    assert [len(c) for c in chunks] == [1024, 1024, 952]
    assert b"".join(chunks) == DATA[4000:7000]
    assert body.md5.hexdigest() == hashlib.md5(DATA[4000:7000]).hexdigest()
    assert sum(progress) == 3000


def test_iterating_a_part_body_again_starts_afresh_and_counts_no_byte_twice(fd):
    progress = []
    body = PartBody(fd, Part(1, 0, 2048), 1024, threading.Event(), ByteCounter(progress.append))
    next(iter(body))
    assert b"".join(body) == DATA[:2048]
    assert body.md5.hexdigest() == hashlib.md5(DATA[:2048]).hexdigest()
    assert sum(progress) == 2048


def test_a_stop_request_ends_the_stream_between_chunks(fd):
    stop = threading.Event()
    chunks = read_range(fd, Part(1, 0, 4096), 1024, stop)
    next(chunks)
    stop.set()
    with pytest.raises(Interrupted):
        next(chunks)


def test_a_file_that_shrank_is_reported(fd):
    with pytest.raises(BadInput, match="ended at byte 10240"):
        list(read_range(fd, Part(3, 10000, 1000), 512))


def test_part_md5(fd):
    assert part_md5(fd, Part(1, 100, 5000), 999) == hashlib.md5(DATA[100:5100]).hexdigest()


def test_sequential_hasher_gives_the_file_sha256(fd):
    hasher = SequentialHasher(fd, split(len(DATA), 3000), 1000, threading.Event()).start()
    assert hasher.hexdigest() == hashlib.sha256(DATA).hexdigest()


def test_the_sha256_pass_computes_the_md5_of_the_parts_read_before_and_of_no_other(fd):
    parts = split(len(DATA), 3000)
    hasher = SequentialHasher(fd, parts, 1000, threading.Event(), md5_of={2, 4}).start()
    assert hasher.hexdigest() == hashlib.sha256(DATA).hexdigest()
    assert hasher.md5s == {
        2: hashlib.md5(DATA[3000:6000]).hexdigest(),
        4: hashlib.md5(DATA[9000:]).hexdigest(),
    }


def test_part_md5_reports_each_chunk_read(fd):
    read = []
    part_md5(fd, Part(1, 0, 2500), 1000, progress=read.append)
    assert read == [1000, 1000, 500]


def test_a_finished_sha256_pass_shows_no_phase(fd):
    recorder = Recorder()
    engine = TransferEngine(TransferConfig(), [recorder])
    hasher = SequentialHasher(fd, split(len(DATA), 3000), 1000, engine.stop).start()
    hasher.hexdigest()
    assert hasher.result(engine) == hashlib.sha256(DATA).hexdigest()
    assert recorder.phases == []

"""Download pieces: the journal of finished ranges, a full disk, the output path checks."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import random

import pytest

from upload_client import os_files
from upload_client.exceptions import BadInput, DiskFull, VerificationFailed
from upload_client.journal import Journal, add_to_intervals, intervals
from upload_client.os_files import (
    check_output,
    check_still_hashed,
    lock_partial,
    publish,
    reserve_partial,
    write_all,
)

IDENTITY = {"etag": '"abc-2"', "size": 100, "sha256": "f" * 64, "range_size": 50}


def test_journal_remembers_finished_ranges_for_the_same_object(tmp_path):
    path = tmp_path / "out.part.json"
    Journal(path, IDENTITY).mark_done(2)
    again = Journal(path, IDENTITY)
    assert again.load()
    assert again.done == {2}


@pytest.mark.parametrize("change", [{"etag": '"other-2"'}, {"range_size": 25}, {"size": 101}])
def test_journal_of_another_object_or_range_size_is_ignored(tmp_path, change):
    path = tmp_path / "out.part.json"
    Journal(path, IDENTITY).mark_done(1)
    assert not Journal(path, {**IDENTITY, **change}).load()


def test_finished_ranges_are_kept_as_intervals(tmp_path):
    assert intervals({1, 2, 3, 7, 9, 10}) == [[1, 3], [7, 7], [9, 10]]
    assert intervals(set()) == []
    path = tmp_path / "out.part.json"
    identity = {**IDENTITY, "size": 50 * 1000}  # 1,000 ranges
    journal = Journal(path, identity)
    for number in [*range(1, 501), *range(1000, 500, -1)]:
        journal.mark_done(number)
    assert json.loads(path.read_text())["done"] == [[1, 1000]]
    again = Journal(path, identity)
    assert again.load()
    assert again.done == set(range(1, 1001))


def test_intervals_grow_one_number_at_a_time_in_any_order():
    numbers = [*range(1, 2001), 5000, 4999, 1, 3000]  # 1 twice: adding a number again changes nothing
    random.Random(4).shuffle(numbers)
    runs: list[list[int]] = []
    seen: set[int] = set()
    for number in numbers:
        add_to_intervals(runs, number)
        seen.add(number)
        assert runs == intervals(seen)
    assert runs == [[1, 2000], [3000, 3000], [4999, 5000]]


def test_a_damaged_journal_is_ignored(tmp_path):
    path = tmp_path / "out.part.json"
    path.write_text("{not json")
    assert not Journal(path, IDENTITY).load()
    path.write_text(json.dumps(["a", "list"]))
    assert not Journal(path, IDENTITY).load()
    path.write_text(json.dumps({"identity": IDENTITY, "done": [["x", 2]]}))
    assert not Journal(path, IDENTITY).load()
    # Range numbers beyond the object's two ranges would make a huge set out of a few bytes.
    path.write_text(json.dumps({"identity": IDENTITY, "done": [[1, 10**12]]}))
    assert not Journal(path, IDENTITY).load()
    path.write_text(json.dumps({"identity": IDENTITY, "done": [[2, 1]]}))
    assert not Journal(path, IDENTITY).load()


def test_a_full_disk_while_writing_is_one_clear_error(tmp_path, monkeypatch):
    def full(fd, data, position):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    with pytest.raises(DiskFull, match="disk is full while writing .*run the same command"):
        write_all(0, b"data", 0, tmp_path / "out.part")


def test_short_writes_are_continued(tmp_path):
    path = tmp_path / "out.part"
    path.write_bytes(b"\0" * 10)
    fd = os.open(path, os.O_RDWR)
    real_pwrite = os.pwrite
    try:
        os.pwrite = lambda fd, data, position: real_pwrite(fd, bytes(data[:3]), position)
        write_all(fd, b"abcdefgh", 1, path)
    finally:
        os.pwrite = real_pwrite
        os.close(fd)
    assert path.read_bytes() == b"\0abcdefgh\0"


def test_no_room_for_the_download_is_found_before_any_byte_moves(tmp_path, monkeypatch):
    def no_room(fd, size):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os_files, "reserve", no_room)
    partial = tmp_path / "big.part"
    fd = lock_partial(partial, tmp_path / "big")
    with pytest.raises(DiskFull, match="not enough disk space .* 5000000000 bytes needed"):
        reserve_partial(fd, partial, 5_000_000_000, fresh=True)
    os.close(fd)
    assert not partial.exists()


def open_partial(partial, size: int) -> int:
    fd = lock_partial(partial, partial.with_suffix(""))
    reserve_partial(fd, partial, size, fresh=True)
    return fd


def test_the_partial_file_is_reserved_at_full_size(tmp_path):
    partial = tmp_path / "x.part"
    fd = open_partial(partial, 12345)
    os.close(fd)
    assert partial.stat().st_size == 12345
    assert partial.stat().st_blocks * 512 >= 12345  # allocated, not a sparse file (Linux has fallocate)


def test_a_filesystem_that_cannot_reserve_gets_a_sparse_file_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(os_files, "_FALLOCATE", lambda fd, mode, offset, size: -1)
    partial = tmp_path / "x.part"
    fd = open_partial(partial, 10 * 1024**4)  # 10 TiB: no block is written
    os.close(fd)
    assert partial.stat().st_size == 10 * 1024**4
    assert partial.stat().st_blocks == 0


def test_a_second_download_to_the_same_output_is_refused_and_changes_nothing(tmp_path):
    partial, target = tmp_path / "out.part", tmp_path / "out"
    first = open_partial(partial, 1000)
    os.pwrite(first, b"hashed bytes", 0)
    try:
        with pytest.raises(BadInput, match=f"another download to {target} is running .* is locked"):
            lock_partial(partial, target)
        assert partial.read_bytes()[:12] == b"hashed bytes"
        assert partial.stat().st_size == 1000
    finally:
        os.close(first)
    os.close(lock_partial(partial, target))  # free again once the first download has closed it


def test_a_partial_file_replaced_after_hashing_is_not_published(tmp_path):
    partial = tmp_path / "out.part"
    fd = open_partial(partial, 10)
    try:
        check_still_hashed(fd, partial, 10)
        partial.unlink()
        partial.write_bytes(b"\0" * 10)  # same name and size, other file
        with pytest.raises(VerificationFailed, match="was replaced or resized during the download"):
            check_still_hashed(fd, partial, 10)
    finally:
        os.close(fd)


def test_reserve_reports_a_full_disk(tmp_path, monkeypatch):
    def full(fd, mode, offset, size):
        ctypes.set_errno(errno.ENOSPC)
        return -1

    monkeypatch.setattr(os_files, "_FALLOCATE", full)
    with open(tmp_path / "x", "wb") as output, pytest.raises(OSError) as raised:
        os_files.reserve(output.fileno(), 100)
    assert raised.value.errno == errno.ENOSPC


def test_the_verified_file_takes_its_name_but_never_replaces_a_file_that_appeared(tmp_path):
    partial, target = tmp_path / "out.part", tmp_path / "out"
    partial.write_bytes(b"verified")
    publish(partial, target)
    assert target.read_bytes() == b"verified"
    assert not partial.exists()

    partial.write_bytes(b"verified again")
    with pytest.raises(BadInput, match="appeared during the download .* the verified bytes are in"):
        publish(partial, target)
    assert target.read_bytes() == b"verified"
    assert partial.read_bytes() == b"verified again"


def test_output_checks(tmp_path):
    (tmp_path / "exists").write_bytes(b"x")
    with pytest.raises(BadInput, match="already exists"):
        check_output(tmp_path / "exists")
    with pytest.raises(BadInput, match="is a directory"):
        check_output(tmp_path)
    with pytest.raises(BadInput, match=f"^{tmp_path}/missing does not exist; create it or choose another"):
        check_output(tmp_path / "missing" / "out")
    with pytest.raises(BadInput, match=f"^{tmp_path}/exists is not a directory$"):
        check_output(tmp_path / "exists" / "out")
    check_output(tmp_path / "new")


def test_a_full_disk_while_the_journal_is_saved_is_disk_full_and_leaves_no_temporary(tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fd, mode):
            self.file = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __exit__(self, *exc):
            self.file.close()

    journal = Journal(tmp_path / "out.part.json", IDENTITY)
    monkeypatch.setattr(os_files.os, "fdopen", FullDisk)
    with pytest.raises(
        DiskFull, match="disk is full while writing .*out.part.json; free space and run the same"
    ):
        journal.mark_done(1)
    assert list(tmp_path.iterdir()) == []


def test_the_partial_file_is_never_opened_through_a_link_nor_when_it_is_not_our_own(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    (tmp_path / "a.part").symlink_to(precious)
    with pytest.raises(BadInput, match="a.part is a symbolic link; a download never writes through one"):
        lock_partial(tmp_path / "a.part", tmp_path / "a")
    os.link(precious, tmp_path / "b.part")
    with pytest.raises(BadInput, match="b.part has other names \\(hard links\\)"):
        lock_partial(tmp_path / "b.part", tmp_path / "b")
    os.mkfifo(tmp_path / "c.part")
    with pytest.raises(BadInput, match="c.part is not a regular file"):
        lock_partial(tmp_path / "c.part", tmp_path / "c")
    assert precious.read_text() == "keep me"


def test_an_output_that_is_a_link_is_refused_dangling_or_not(tmp_path):
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "to-dir").symlink_to(tmp_path)
    for link in ("dangling", "to-dir"):
        with pytest.raises(BadInput, match=f"{link} is a symbolic link; a download never writes through one"):
            check_output(tmp_path / link)

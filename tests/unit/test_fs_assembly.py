"""The filesystem store joining parts into an object: copies inside the kernel and their fallbacks, size
limits, aborts during a join, and what a UCS killed while joining leaves behind."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys

import pytest

from tests.support.fs_parts import md5, store_part
from ucs.storage import ObjectNotFound, UploadNotFound
from ucs.uploads import MAX_PART_SIZE
from ucs_plugins.filesystem.backend import FilesystemBackend
from ucs_plugins.filesystem.multipart import PartTooLarge
from ucs_plugins.filesystem.signing import UrlSigner


def assemble(backend, parts: list[bytes]) -> bytes:
    upload_id = backend.create_multipart_upload("file/object")
    etags = [store_part(backend, upload_id, n, part) for n, part in enumerate(parts, 1)]
    backend.complete_multipart_upload("file/object", upload_id, list(enumerate(etags, 1)))
    return (backend.objects_dir / "file" / "object").read_bytes()


PARTS = [os.urandom(3 * 1024 * 1024 + 17), b"", os.urandom(1000), os.urandom(2 * 1024 * 1024)]


@pytest.mark.skipif(not hasattr(os, "copy_file_range"), reason="copy_file_range is Linux-only")
def test_assembly_copies_parts_inside_the_kernel(backend, monkeypatch):
    """Assembly must not push every byte through Python: at tens of GiB that outlasts any HTTP timeout."""
    copied = []
    copy_file_range = os.copy_file_range

    def counting(source, target, count, *args):
        copied.append(size := copy_file_range(source, target, count, *args))
        return size

    monkeypatch.setattr(os, "copy_file_range", counting)
    assert assemble(backend, PARTS) == b"".join(PARTS)
    assert sum(copied) == len(b"".join(PARTS))


@pytest.mark.parametrize("code", [errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP])
def test_assembly_falls_back_to_reading_where_the_kernel_cannot_copy(backend, monkeypatch, code):
    def unsupported(*_args):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "copy_file_range", unsupported, raising=False)
    assert assemble(backend, PARTS) == b"".join(PARTS)


def test_assembly_falls_back_where_the_kernel_stops_partway(backend, monkeypatch):
    """A first call that copies some bytes and a second that fails: the rest follows, nothing twice."""
    calls = []

    def partway(source, target, count, *args):
        calls.append(count)
        if len(calls) % 2:
            return os.write(target, os.read(source, 1000))
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(os, "copy_file_range", partway, raising=False)
    assert assemble(backend, PARTS) == b"".join(PARTS)


def test_an_error_the_fallback_cannot_cure_fails_the_assembly_and_keeps_the_parts(backend, monkeypatch):
    def disk_full(*_args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "copy_file_range", disk_full, raising=False)
    upload_id = backend.create_multipart_upload("file/object")
    etag = store_part(backend, upload_id, 1, b"data")
    with pytest.raises(OSError, match="No space"):
        backend.complete_multipart_upload("file/object", upload_id, [(1, etag)])
    assert len(backend.list_parts("file/object", upload_id)) == 1
    assert list((backend.objects_dir / "file").iterdir()) == []


def test_a_part_announced_larger_than_5_gib_is_refused_before_any_byte_is_read(backend):
    upload_id = backend.create_multipart_upload("file/object")
    never_read = io.BytesIO(b"")
    never_read.read = None  # reading it would fail the test
    with pytest.raises(PartTooLarge, match=f"part 1 is {MAX_PART_SIZE + 1} bytes: a part may have at most"):
        backend.write_part(upload_id, 1, never_read, MAX_PART_SIZE + 1)
    assert os.listdir(backend.uploads_dir / upload_id) == ["key"]


@pytest.mark.parametrize("length", [None, 1000], ids=["unannounced", "announced smaller"])
def test_a_stream_longer_than_the_limit_is_cut_off_and_leaves_no_part(backend, monkeypatch, length):
    monkeypatch.setattr(backend, "max_part_size", 1000)
    upload_id = backend.create_multipart_upload("file/object")
    with pytest.raises(PartTooLarge, match="part 1 passed 1000 bytes"):
        backend.write_part(upload_id, 1, io.BytesIO(b"x" * 1001), length)
    assert os.listdir(backend.uploads_dir / upload_id) == ["key"]
    assert store_part(backend, upload_id, 1, b"x" * 1000) == f'"{md5(b"x" * 1000)}"'


def test_an_upload_aborted_during_its_assembly_is_reported_as_gone(backend, monkeypatch):
    """A concurrent abort removes the parts mid-copy: UploadNotFound, and no half object left behind."""
    import ucs_plugins.filesystem.multipart as filesystem

    upload_id = backend.create_multipart_upload("f/1")
    etags = [store_part(backend, upload_id, number, bytes([number]) * 100) for number in (1, 2)]
    copy = filesystem.append_file

    def abort_after_the_first_part(source, target):
        copy(source, target)
        backend.abort_multipart_upload("f/1", upload_id)

    monkeypatch.setattr(filesystem, "append_file", abort_after_the_first_part)
    with pytest.raises(UploadNotFound, match="completed or aborted meanwhile"):
        backend.complete_multipart_upload("f/1", upload_id, list(enumerate(etags, start=1)))
    with pytest.raises(ObjectNotFound):
        backend.head_object("f/1")
    assert [p.name for p in backend.objects_dir.rglob("*") if p.is_file()] == []
    assert list(backend.assembling_dir.iterdir()) == []
    with pytest.raises(UploadNotFound):  # a second abort finds nothing to abort
        backend.abort_multipart_upload("f/1", upload_id)


def test_an_upload_half_removed_by_an_older_abort_is_removed_by_the_next(backend):
    """An abort racing part uploads used to stop midway, leaving parts and no key file."""
    upload_id = backend.create_multipart_upload("f/1")
    store_part(backend, upload_id, 1, b"left behind")
    (backend.uploads_dir / upload_id / "key").unlink()
    assert [(u.upload_id, u.key) for u in backend.list_multipart_uploads()] == [(upload_id, None)]
    backend.abort_multipart_upload("f/1", upload_id)
    assert list(backend.uploads_dir.iterdir()) == []
    assert backend.list_multipart_uploads() == []


def test_an_abort_for_another_key_removes_nothing(backend):
    upload_id = backend.create_multipart_upload("f/1")
    with pytest.raises(UploadNotFound, match="is not for key f/2"):
        backend.abort_multipart_upload("f/2", upload_id)
    assert backend.key_of(upload_id) == "f/1"


def test_a_removal_a_crash_interrupted_is_finished_at_the_next_start(backend):
    doomed = backend.trash_dir / "0123456789abcdef0123456789abcdef.cafe"
    doomed.mkdir()
    (doomed / "00001.0123").write_bytes(b"x" * 1000)
    FilesystemBackend(backend.root, UrlSigner(b"k" * 32))
    assert list(backend.trash_dir.iterdir()) == []


JOIN_THEN_HANG = """
import sys, time
import ucs_plugins.filesystem.multipart as filesystem
from ucs_plugins.filesystem.backend import FilesystemBackend
from ucs_plugins.filesystem.signing import UrlSigner

def append_then_hang(source, target):
    target.write(source.read())
    print("joining", flush=True)
    time.sleep(120)

filesystem.append_file = append_then_hang
backend = FilesystemBackend(sys.argv[1], UrlSigner(b"k" * 32))
backend.complete_multipart_upload("f/1", sys.argv[2], [(1, sys.argv[3])])
"""


def test_what_a_ucs_killed_while_joining_leaves_goes_at_the_next_start_and_a_live_join_stays(backend):
    upload_id = backend.create_multipart_upload("f/1")
    etag = store_part(backend, upload_id, 1, b"object bytes" * 1000)
    joining = subprocess.Popen(
        [sys.executable, "-c", JOIN_THEN_HANG, str(backend.root), upload_id, etag],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert joining.stdout.readline() == "joining\n"
        [temporary] = files_beside_the_uploads(backend)
        FilesystemBackend(backend.root, UrlSigner(b"k" * 32))  # a start while it joins
        assert temporary.exists()
    finally:
        joining.kill()
        joining.wait()
        joining.stdout.close()
    assert temporary.stat().st_size == 12000  # left behind by the kill, as big as the object
    FilesystemBackend(backend.root, UrlSigner(b"k" * 32))
    assert files_beside_the_uploads(backend) == []
    assert backend.list_parts("f/1", upload_id)[0].etag == etag  # the upload itself is untouched


def files_beside_the_uploads(backend) -> list:
    """Every file of the store but the uploads' own and the signing key: objects and temporary files."""
    return [
        path
        for path in backend.root.rglob("*")
        if path.is_file() and not path.is_relative_to(backend.uploads_dir) and path.name != ".signing-key"
    ]

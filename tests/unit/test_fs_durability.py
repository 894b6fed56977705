"""The filesystem store's completion under crashes: one fsync of the joined object before it is renamed into
place, its name flushed after, no object from a join cut short, and a retried completion that joins again.
The parts of a completed upload are removed behind the request."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.fs_parts import md5, store_part
from ucs.storage import ObjectNotFound
from ucs_plugins.filesystem.assembly import multipart_etag
from ucs_plugins.filesystem.backend import FilesystemBackend
from ucs_plugins.filesystem.parts import part_file
from ucs_plugins.filesystem.signing import UrlSigner

PARTS = [b"first part " * 100, b"second part " * 100, b"third part " * 100]

# A UCS that dies (no finally, no cleanup: os._exit) after joining two of the three parts.
DIE_MID_JOIN = """
import os, sys
import ucs_plugins.filesystem.multipart as filesystem
from ucs_plugins.filesystem.backend import FilesystemBackend
from ucs_plugins.filesystem.signing import UrlSigner

joined = []
real_append = filesystem.append_file

def append_then_die(source, target):
    real_append(source, target)
    joined.append(1)
    if len(joined) == 2:
        os._exit(9)

filesystem.append_file = append_then_die
backend = FilesystemBackend(sys.argv[1], UrlSigner(b"k" * 32))
backend.complete_multipart_upload("f/1", sys.argv[2], list(enumerate(sys.argv[3:], 1)))
"""


def test_a_ucs_killed_mid_join_leaves_no_object_and_the_retried_completion_joins_again(backend):
    upload_id = backend.create_multipart_upload("f/1")
    etags = [store_part(backend, upload_id, n, part) for n, part in enumerate(PARTS, 1)]
    died = subprocess.run(
        [sys.executable, "-c", DIE_MID_JOIN, str(backend.root), upload_id, *etags], check=False
    )
    assert died.returncode == 9
    with pytest.raises(ObjectNotFound):
        backend.head_object("f/1")
    assert len(list(backend.assembling_dir.iterdir())) == 1  # the half-joined temporary file

    restarted = FilesystemBackend(backend.root, UrlSigner(b"k" * 32))
    assert list(backend.assembling_dir.iterdir()) == []
    etag = restarted.complete_multipart_upload("f/1", upload_id, list(enumerate(etags, 1)))

    assert etag == multipart_etag([md5(part) for part in PARTS])
    assert (backend.objects_dir / "f" / "1").read_bytes() == b"".join(PARTS)
    assert restarted.head_object("f/1").etag == etag


def test_the_joined_object_is_flushed_before_its_rename_and_its_name_after(backend, monkeypatch):
    upload_id = backend.create_multipart_upload("a/b/c")
    etags = [store_part(backend, upload_id, n, part) for n, part in enumerate(PARTS, 1)]
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(source, target):
        events.append(("replace", str(source), str(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    backend.complete_multipart_upload("a/b/c", upload_id, list(enumerate(etags, 1)))

    target = backend.objects_dir / "a" / "b" / "c"
    [renamed] = [i for i, event in enumerate(events) if event[0] == "replace"]
    temporary = events[renamed][1]
    assert events[renamed][2] == str(target)
    assert events.index(("fsync", temporary)) < renamed  # the bytes, once, before the name
    assert events.index(("fsync", str(backend.etags_dir / "a" / "b" / "c"))) < renamed
    assert ("fsync", str(target.parent)) in events[renamed:]  # the name, after
    # Directories the completion created are flushed in their parents too.
    for made in (backend.objects_dir, backend.objects_dir / "a", backend.etags_dir / "a"):
        assert ("fsync", str(made)) in events
    assert (
        sum(1 for event in events if event[0] == "fsync" and event[1].startswith(str(backend.uploads_dir)))
        == 0
    )


def test_a_completion_s_parts_are_gone_from_the_upload_at_once_and_removed_behind_it(backend):
    upload_id = backend.create_multipart_upload("f/1")
    etags = [store_part(backend, upload_id, n, part) for n, part in enumerate(PARTS, 1)]
    backend.complete_multipart_upload("f/1", upload_id, list(enumerate(etags, 1)))
    assert list(backend.uploads_dir.iterdir()) == []
    backend.trash.wait()
    assert list(backend.trash_dir.iterdir()) == []
    assert (backend.objects_dir / "f" / "1").read_bytes() == b"".join(PARTS)


def test_a_completion_joins_the_newer_of_two_copies_of_a_part(backend):
    """Two copies exist while a re-sent part is renamed in and before the older is dropped."""
    upload_id = backend.create_multipart_upload("f/1")
    directory = backend.uploads_dir / upload_id
    older, newer = part_file(directory, 1, md5(b"old")), part_file(directory, 1, md5(b"new"))
    older.write_bytes(b"old")
    newer.write_bytes(b"new")
    os.utime(older, ns=(1_000_000_000, 1_000_000_000))
    assert [part.etag for part in backend.list_parts("f/1", upload_id)] == [f'"{md5(b"new")}"']
    backend.complete_multipart_upload("f/1", upload_id, [(1, f'"{md5(b"new")}"')])
    assert (backend.objects_dir / "f" / "1").read_bytes() == b"new"

"""The filesystem backend on its own: its rules, and that no key or upload id reaches outside its root."""

from __future__ import annotations

import io
import os

import pytest

from tests.support.fs_parts import md5, store_part
from ucs.storage import InvalidParts, ObjectNotFound, StorageError, UploadNotFound
from ucs_plugins.filesystem.assembly import multipart_etag
from ucs_plugins.filesystem.backend import FilesystemBackend
from ucs_plugins.filesystem.signing import UrlSigner

BAD_KEYS = [
    "",
    "..",
    "../outside",
    "a/../../outside",
    "a/./b",
    "/etc/passwd",
    "a//b",
    "a/",
    ".hidden",
    "a\\..\\b",
    "a/\x00b",
    "x" * 129,
    "/".join(["a"] * 9),
]
BAD_UPLOAD_IDS = [
    "",
    "..",
    "../uploads",
    "a/b",
    "/tmp",
    "0" * 31,
    "0" * 33,
    "A" * 32,
    "../" + "0" * 29,
    "%2e%2e",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_that_is_not_a_plain_relative_path_is_refused(backend, key):
    with pytest.raises(StorageError):
        backend.create_multipart_upload(key)
    with pytest.raises(StorageError):
        backend.head_object(key)
    with pytest.raises(StorageError):
        backend.presign_download(key, 60)
    with pytest.raises(StorageError):
        list(backend.read_range(key, 0, 10))
    assert list(backend.uploads_dir.iterdir()) == []


@pytest.mark.parametrize("upload_id", BAD_UPLOAD_IDS)
def test_an_upload_id_not_made_by_the_store_is_unknown(backend, upload_id):
    key = "file/object"
    with pytest.raises(UploadNotFound):
        backend.list_parts(key, upload_id)
    with pytest.raises(UploadNotFound):
        backend.presign_upload_part(key, upload_id, 1, 60)
    with pytest.raises(UploadNotFound):
        store_part(backend, upload_id, 1, b"data")
    with pytest.raises(UploadNotFound):
        backend.complete_multipart_upload(key, upload_id, [(1, md5(b"data"))])
    with pytest.raises(UploadNotFound):
        backend.abort_multipart_upload(key, upload_id)


def test_an_upload_is_bound_to_its_key(backend):
    upload_id = backend.create_multipart_upload("file/one")
    with pytest.raises(UploadNotFound):
        backend.list_parts("file/two", upload_id)
    with pytest.raises(UploadNotFound):
        backend.presign_upload_part("file/two", upload_id, 1, 60)


def test_a_symlinked_upload_directory_is_not_followed(backend, outside):
    upload_id = "ab" * 16
    (backend.uploads_dir / upload_id).symlink_to(outside)
    with pytest.raises(StorageError):
        store_part(backend, upload_id, 1, b"escape")
    with pytest.raises(StorageError):
        backend.list_parts("secret", upload_id)


def test_a_symlinked_object_directory_is_not_followed(backend, outside):
    (backend.objects_dir / "linked").symlink_to(outside)
    (backend.etags_dir / "linked").symlink_to(outside)
    with pytest.raises(StorageError):
        backend.head_object("linked/secret")
    with pytest.raises(StorageError, match="outside the storage root"):
        list(backend.read_range("linked/secret", 0, 10))
    upload_id = backend.create_multipart_upload("linked/new")
    etag = store_part(backend, upload_id, 1, b"escape")
    with pytest.raises(StorageError):
        backend.complete_multipart_upload("linked/new", upload_id, [(1, etag)])


def test_parts_are_stored_with_their_md5_and_assembled_in_order(backend):
    upload_id = backend.create_multipart_upload("file/object")
    data = [b"first ", b"second ", b"third"]
    etags = [store_part(backend, upload_id, n, part) for n, part in enumerate(data, 1)]
    assert etags == [f'"{md5(part)}"' for part in data]

    etag = backend.complete_multipart_upload("file/object", upload_id, list(enumerate(etags, 1)))

    assert etag == multipart_etag([md5(part) for part in data])
    assert (backend.objects_dir / "file" / "object").read_bytes() == b"".join(data)
    info = backend.head_object("file/object")
    assert (info.size, info.etag) == (len(b"".join(data)), etag)
    assert not (backend.uploads_dir / upload_id).exists()


def test_part_numbers_outside_1_to_10000_are_refused(backend):
    upload_id = backend.create_multipart_upload("file/object")
    for part_no in (0, -1, 10_001, 100_000):
        with pytest.raises(StorageError, match="outside 1..10000"):
            store_part(backend, upload_id, part_no, b"data")
    assert backend.list_parts("file/object", upload_id) == []


def test_a_short_stream_leaves_no_part(backend):
    upload_id = backend.create_multipart_upload("file/object")
    with pytest.raises(StorageError, match="ended after 4 of 10 bytes"):
        backend.write_part(upload_id, 1, io.BytesIO(b"four"), 10)
    assert backend.list_parts("file/object", upload_id) == []
    assert os.listdir(backend.uploads_dir / upload_id) == ["key"]


def test_a_stream_that_breaks_leaves_no_part(backend):
    class Broken(io.RawIOBase):
        def read(self, size=-1):
            raise ConnectionResetError("peer went away")

    upload_id = backend.create_multipart_upload("file/object")
    with pytest.raises(ConnectionResetError):
        backend.write_part(upload_id, 1, Broken(), 100)
    assert os.listdir(backend.uploads_dir / upload_id) == ["key"]


def test_a_resent_part_replaces_the_older_copy(backend):
    upload_id = backend.create_multipart_upload("file/object")
    store_part(backend, upload_id, 1, b"old bytes")
    store_part(backend, upload_id, 1, b"new bytes!")
    [part] = backend.list_parts("file/object", upload_id)
    assert (part.etag, part.size) == (f'"{md5(b"new bytes!")}"', 10)
    assert len([name for name in os.listdir(backend.uploads_dir / upload_id) if name != "key"]) == 1


@pytest.mark.parametrize(
    "listing",
    [[], [(2, "b"), (1, "a")], [(1, "a"), (1, "a")]],
    ids=["no parts", "descending", "twice"],
)
def test_complete_refuses_a_listing_s3_would_refuse(backend, listing):
    upload_id = backend.create_multipart_upload("file/object")
    etags = {"a": store_part(backend, upload_id, 1, b"a"), "b": store_part(backend, upload_id, 2, b"b")}
    with pytest.raises(InvalidParts):
        backend.complete_multipart_upload("file/object", upload_id, [(n, etags[e]) for n, e in listing])
    assert len(backend.list_parts("file/object", upload_id)) == 2


def test_etag_files_cannot_clash_with_object_keys(backend):
    """An object named like another object's ETag file stays a separate object."""
    for key in ("file/object", "file/object.etag"):
        upload_id = backend.create_multipart_upload(key)
        etag = store_part(backend, upload_id, 1, key.encode())
        backend.complete_multipart_upload(key, upload_id, [(1, etag)])
    assert backend.head_object("file/object").size == len("file/object")
    assert backend.head_object("file/object.etag").size == len("file/object.etag")


def test_presigned_urls_point_at_ucs_and_carry_a_signature(backend):
    upload_id = backend.create_multipart_upload("file/object")
    put = backend.presign_upload_part("file/object", upload_id, 7, 60)
    assert put.url.startswith(f"http://ucs.example/storage/uploads/{upload_id}/7?expires=")
    assert "signature=" in put.url
    get = backend.presign_download("file/object", 60)
    assert get.url.startswith("http://ucs.example/storage/objects/file/object?expires=")


def test_presigning_outside_a_request_without_public_url_says_what_to_set(tmp_path):
    backend = FilesystemBackend(tmp_path / "root", UrlSigner(b"k" * 32))
    with pytest.raises(StorageError, match="PUBLIC_URL"):
        backend.presign_download("file/object", 60)


def test_the_signing_key_is_made_once_and_kept(tmp_path):
    config = {"STORAGE_ROOT": str(tmp_path / "root"), "PUBLIC_URL": "http://ucs.example"}
    first, second = FilesystemBackend.from_config(config), FilesystemBackend.from_config(config)
    request = ("GET", "file/object", "", 0, 2_000_000_000)
    assert first.signer.sign(*request) == second.signer.sign(*request)
    assert oct((tmp_path / "root" / ".signing-key").stat().st_mode & 0o777) == "0o600"


def test_head_of_a_missing_object_is_not_found(backend):
    with pytest.raises(ObjectNotFound):
        backend.head_object("file/missing")

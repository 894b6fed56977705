"""The reading engine (ucs/validation/reader.py) on real stores: the filesystem store, and moto's server
through the s3 and minio backends, including a store that goes away mid-object."""

from __future__ import annotations

import hashlib
import os
from urllib.parse import urlsplit

import pytest

from tests.support.apps import storage_from_settings
from tests.support.fs_parts import store_part
from tests.support.s3_fixtures import *  # noqa: F403 - the moto fixture
from tests.support.tcp_proxy import TcpProxy
from ucs.storage import ObjectNotFound, StorageUnavailable
from ucs.validation.reader import ReadConfig, digest_object
from ucs_plugins.filesystem.backend import FilesystemBackend
from ucs_plugins.filesystem.signing import UrlSigner

MiB = 1024 * 1024
# Ranges that line up with neither the parts nor the 256 KiB chunks, each reader held to 4 chunks ahead.
CONFIG = ReadConfig(readers=3, range_size=1_500_000, buffer_size=MiB)


@pytest.fixture
def filesystem(tmp_path) -> FilesystemBackend:
    return FilesystemBackend(tmp_path / "store", UrlSigner(b"k" * 32))


def test_a_multipart_object_on_the_filesystem_store_is_read_whole(filesystem):
    parts = [os.urandom(2 * MiB), os.urandom(2 * MiB), os.urandom(12345)]
    upload_id = filesystem.create_multipart_upload("file/object")
    etags = [store_part(filesystem, upload_id, number, data) for number, data in enumerate(parts, 1)]
    etag = filesystem.complete_multipart_upload("file/object", upload_id, list(enumerate(etags, 1)))
    seen: list[int] = []

    digest = digest_object(filesystem, "file/object", CONFIG, seen.append)

    data = b"".join(parts)
    assert (digest.size, digest.sha256, digest.etag) == (len(data), hashlib.sha256(data).hexdigest(), etag)
    assert seen == sorted(seen) and seen[-1] == len(data)


def test_one_byte_changed_on_the_filesystem_store_changes_the_digest(filesystem):
    data = os.urandom(MiB)
    upload_id = filesystem.create_multipart_upload("file/object")
    etag = store_part(filesystem, upload_id, 1, data)
    filesystem.complete_multipart_upload("file/object", upload_id, [(1, etag)])
    path = filesystem.object_path("file/object")
    with open(path, "r+b") as stored:
        stored.seek(500_000)
        stored.write(bytes([data[500_000] ^ 1]))

    digest = digest_object(filesystem, "file/object", CONFIG)

    assert digest.size == len(data)
    assert digest.sha256 != hashlib.sha256(data).hexdigest()
    path.unlink()
    with pytest.raises(ObjectNotFound):
        digest_object(filesystem, "file/object", CONFIG)


@pytest.fixture(params=["s3", "minio"])
def moto_backend(request, moto, tmp_path):
    return storage_from_settings(tmp_path, **moto.bucket_settings(request.param))


def test_an_object_on_moto_is_read_whole_through_ranged_gets(moto, moto_backend):
    data = os.urandom(3 * MiB + 17)
    answer = moto.client().put_object(Bucket=moto_backend.bucket, Key="file/object", Body=data)
    seen: list[int] = []

    digest = digest_object(moto_backend, "file/object", CONFIG, seen.append)

    assert (digest.size, digest.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert digest.etag == answer["ETag"]
    assert seen[-1] == len(data)
    with pytest.raises(ObjectNotFound):
        digest_object(moto_backend, "file/missing", CONFIG)


@pytest.mark.parametrize("backend_name", ["s3", "minio"])
def test_a_store_gone_mid_object_is_unavailable_not_a_bad_object(moto, tmp_path, backend_name):
    bucket = moto.make_bucket()
    data = os.urandom(8 * MiB)
    moto.client().put_object(Bucket=bucket, Key="file/object", Body=data)
    proxy = TcpProxy(urlsplit(moto.endpoint_url).port).start()
    settings = {**moto.settings(bucket, backend_name), "S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}"}
    backend = storage_from_settings(tmp_path, **settings)

    def cut_after_the_first_chunk(hashed: int) -> None:
        proxy.cut()

    try:
        with pytest.raises(StorageUnavailable):
            digest_object(backend, "file/object", ReadConfig(2, 2 * MiB), cut_after_the_first_chunk)
    finally:
        proxy.cut()

"""The S3-speaking backends (s3 on boto3, minio on the minio SDK) against moto's server and SeaweedFS:
configuration, bucket creation, and how store failures surface as neutral exceptions."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.support.apps import storage_from_settings
from tests.support.processes import free_port
from tests.support.s3_fixtures import *  # noqa: F403 - the moto and seaweedfs fixtures
from ucs.storage import StorageError, StorageUnavailable

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    pytest.param("s3", "moto", id="s3-moto"),
    pytest.param("s3", "seaweedfs", id="s3-seaweedfs", marks=pytest.mark.seaweedfs),
    pytest.param("minio", "seaweedfs", id="minio-seaweedfs", marks=pytest.mark.seaweedfs),
    pytest.param("minio", "moto", id="minio-moto"),
]


@pytest.fixture
def server(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize(("backend_name", "server"), CASES, indirect=["server"])
def test_the_bucket_is_created_at_start_up_when_configured(tmp_path, backend_name, server):
    bucket = f"created-{time.monotonic_ns()}"
    backend = storage_from_settings(tmp_path, **server.settings(bucket, backend_name))
    backend.check()
    assert bucket in [b["Name"] for b in server.client().list_buckets()["Buckets"]]
    # A second server starting on the same bucket finds it there.
    storage_from_settings(tmp_path, **server.settings(bucket, backend_name)).check()


@pytest.mark.parametrize(("backend_name", "server"), CASES, indirect=["server"])
def test_a_missing_bucket_makes_the_store_unavailable(tmp_path, backend_name, server):
    bucket = f"never-created-{time.monotonic_ns()}"
    settings = {**server.settings(bucket, backend_name), "S3_CREATE_BUCKET": False}
    backend = storage_from_settings(tmp_path, **settings)
    with pytest.raises(StorageUnavailable, match=bucket):
        backend.check()
    with pytest.raises(StorageUnavailable, match="bucket does not exist"):
        backend.create_multipart_upload("file/object")


@pytest.mark.parametrize("backend_name", ["s3", "minio"])
def test_an_unreachable_store_is_unavailable_not_an_sdk_error(tmp_path, backend_name):
    settings = {
        "STORAGE_BACKEND": backend_name,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "S3_BUCKET": "anything",
        "S3_ACCESS_KEY_ID": "key",
        "S3_SECRET_ACCESS_KEY": "secret",
    }
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        storage_from_settings(tmp_path, **settings, S3_CREATE_BUCKET=True)
    backend = storage_from_settings(tmp_path, **settings)
    calls = (
        backend.check,
        lambda: backend.create_multipart_upload("file/object"),
        lambda: list(backend.read_range("file/object", 0, 10)),
    )
    for call in calls:
        with pytest.raises(StorageUnavailable):
            call()
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(("backend_name", "server"), CASES, indirect=["server"])
def test_presigned_urls_use_sigv4_and_path_style(tmp_path, backend_name, server):
    backend = storage_from_settings(tmp_path, **server.bucket_settings(backend_name))
    upload_id = backend.create_multipart_upload("file/object")
    for request in (
        backend.presign_upload_part("file/object", upload_id, 7, 600),
        backend.presign_download("file/object", 600),
    ):
        url = urlsplit(request.url)
        query = parse_qs(url.query)
        assert url.netloc == urlsplit(server.endpoint_url).netloc
        assert url.path == f"/{backend.bucket}/file/object"
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-Expires"] == ["600"]
        assert server.access_key in query["X-Amz-Credential"][0]
    assert parse_qs(urlsplit(backend.presign_upload_part("file/object", upload_id, 7, 60).url).query)[
        "partNumber"
    ] == ["7"]


@pytest.mark.parametrize(("backend_name", "server"), CASES[:1] + CASES[3:], indirect=["server"])
@pytest.mark.parametrize("expires_in", [0, 7 * 24 * 3600 + 1])
def test_an_expiry_sigv4_cannot_carry_is_refused(tmp_path, backend_name, server, expires_in):
    backend = storage_from_settings(tmp_path, **server.bucket_settings(backend_name))
    with pytest.raises(StorageError, match="outside 1..604800"):
        backend.presign_download("file/object", expires_in)


def doc_line(path: str, start: str) -> str:
    [line] = [line for line in (ROOT / path).read_text().splitlines() if line.lstrip().startswith(start)]
    return line


@pytest.mark.parametrize("backend_name", ["s3", "minio"])
def test_urls_carry_the_access_key_id_never_the_secret_and_the_docs_say_so(tmp_path, backend_name, moto):
    """SigV4 puts the access key id in every URL (X-Amz-Credential): only the secret stays on the server."""
    key_id, secret = "UCSDOCSTESTKEYID", "ucs-docs-test-secret/with+signs"
    settings = {
        **moto.bucket_settings(backend_name),
        "S3_ACCESS_KEY_ID": key_id,
        "S3_SECRET_ACCESS_KEY": secret,
    }
    backend = storage_from_settings(tmp_path, **settings)
    upload_id = backend.create_multipart_upload("file/object")
    for request in (
        backend.presign_upload_part("file/object", upload_id, 1, 600),
        backend.presign_download("file/object", 600),
    ):
        assert parse_qs(urlsplit(request.url).query)["X-Amz-Credential"][0].startswith(f"{key_id}/")
        assert secret not in unquote(request.url)
    for path, variable in [("docs/configuration.md", "| `UCS_S3_"), ("README.md", "export UCS_S3_")]:
        key_id_doc = doc_line(path, f"{variable}ACCESS_KEY_ID")
        assert "X-Amz-Credential" in key_id_doc and "never leaves" not in key_id_doc
        assert "stays on the server" in doc_line(path, f"{variable}SECRET_ACCESS_KEY")

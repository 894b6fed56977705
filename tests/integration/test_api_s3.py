"""A compact journey over the s3 backend on moto's server: the same REST contract, a real S3 API behind it."""

import hashlib

import pytest
import requests
from botocore.exceptions import ClientError

from tests.support.databases import empty_tables
from tests.support.live_server import serving
from tests.support.processes import free_port
from tests.support.rest import Rest, snapshot, undocumented_statuses, upload_path
from tests.support.s3_fixtures import *  # noqa: F403 - the moto fixtures

MiB = 1024 * 1024
# S3 refuses parts under 5 MiB except the last one.
CHUNKS = [b"x" * (5 * MiB), b"y" * 1000]
DATA = b"".join(CHUNKS)


@pytest.fixture
def app(make_app, database_url, moto_settings):
    app = make_app(DATABASE_URL=database_url, **moto_settings)
    empty_tables(app)
    return app


@pytest.fixture
def s3(moto, moto_bucket):
    """What the store itself says: the multipart uploads still open in the bucket."""
    client = moto.client()

    def open_uploads() -> list[str]:
        return [u["UploadId"] for u in client.list_multipart_uploads(Bucket=moto_bucket).get("Uploads", [])]

    client.open_uploads = open_uploads
    client.bucket = moto_bucket
    return client


def test_journey_over_s3(rest, s3):
    sha256 = hashlib.sha256(DATA).hexdigest()
    rest.expect(201, "PUT", "/files/reads.fastq", json={"size": len(DATA), "sha256": sha256})
    upload = rest.start("reads.fastq")
    upload_id = upload["upload_id"]
    assert s3.open_uploads() == [upload_id]

    parts = rest.put_parts(upload_id, CHUNKS)
    stored = rest.expect(200, "GET", upload_path(upload_id, "/parts")).json()
    assert [(p["part_no"], p["size"]) for p in stored] == [(1, 5 * MiB), (2, 1000)]
    assert rest.complete(upload_id, parts, sha256=sha256).status_code == 204
    assert rest.complete(upload_id, parts, sha256=sha256).status_code == 204  # a retry
    assert s3.open_uploads() == []

    done = rest.expect(200, "GET", upload_path(upload_id)).json()
    assert (done["status"], done["size"]) == ("uploaded", len(DATA)) and done["etag"].endswith('-2"')
    [stored_object] = s3.list_objects_v2(Bucket=s3.bucket)["Contents"]
    assert stored_object["Key"].startswith("reads.fastq/") and stored_object["Size"] == len(DATA)
    download = rest.expect(200, "GET", "/files/reads.fastq/download").json()
    assert download["etag"] == done["etag"] and download["sha256"] == sha256
    ranged = requests.get(
        download["url"], headers={"Range": f"bytes={5 * MiB - 2}-{5 * MiB + 1}"}, timeout=30
    )
    assert ranged.status_code == 206 and ranged.content == b"xxyy"
    # A SigV4 presigned URL: signed and expiring.
    assert "X-Amz-Signature=" in download["url"] and "X-Amz-Expires=3600" in download["url"]


def test_completion_contradicting_s3_fails_and_aborts(rest, s3):
    rest.register("f1")
    upload_id = rest.start("f1")["upload_id"]
    parts = rest.put_parts(upload_id, CHUNKS)
    wrong = [parts[0], {"part_no": 2, "etag": '"' + "0" * 32 + '"'}]
    response = rest.complete(upload_id, wrong)
    assert response.status_code == 400 and "ETag mismatch for part 2" in response.json()["message"]
    assert rest.expect(200, "GET", upload_path(upload_id)).json()["status"] == "failed"
    assert s3.open_uploads() == []


@pytest.mark.parametrize("spelling", ["cancelled", "canceled"])
def test_cancel_aborts_the_s3_upload(rest, s3, spelling):
    rest.register("f1")
    upload_id = rest.start("f1")["upload_id"]
    rest.put_parts(upload_id, CHUNKS[:1])
    [key] = [u["Key"] for u in s3.list_multipart_uploads(Bucket=s3.bucket)["Uploads"]]
    assert rest.cancel(upload_id, spelling).status_code == 204
    assert s3.open_uploads() == []
    with pytest.raises(ClientError, match="NoSuchUpload"):
        s3.list_parts(Bucket=s3.bucket, Key=key, UploadId=upload_id)
    assert rest.start("f1")["status"] == "pending"


@pytest.fixture
def unreachable_store_app(make_app, database_url, moto):
    """An app whose s3 endpoint is a loopback port nothing listens on."""
    settings = moto.settings("nowhere") | {"S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    app = make_app(DATABASE_URL=database_url, **settings | {"S3_CREATE_BUCKET": False})
    empty_tables(app)
    return app


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unreachable_store_is_503_and_changes_nothing(unreachable_store_app):
    app = unreachable_store_app
    with serving(app, free_port()) as url:
        rest = Rest(url)
        rest.register("f1")
        before = snapshot(app)
        refused = rest.expect(503, "POST", "/files/f1/multipart_uploads").json()
        assert refused["message"].startswith("the object store is unavailable: ")
        assert snapshot(app) == before
        health = rest.expect(503, "GET", "/health").json()
        assert health["database"] == "ok" and health["storage"].startswith("unavailable")
        assert undocumented_statuses(app, rest.seen) == []

"""The DRS journey on SeaweedFS through the s3 backend: object, access URL, bytes and checksum.

SeaweedFS checks SigV4 signatures, so the access URL DRS mints is a real presigned URL of a real store.
"""

import hashlib

import pytest
import requests

from tests.support import drs_schemas as schemas
from tests.support.databases import empty_tables
from tests.support.s3_fixtures import *  # noqa: F403 - the SeaweedFS fixtures

pytestmark = [pytest.mark.seaweedfs, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

MiB = 1024 * 1024
CHUNKS = [b"x" * (5 * MiB), b"y" * 1000]  # S3 refuses parts under 5 MiB but the last
DATA = b"".join(CHUNKS)
SHA256 = hashlib.sha256(DATA).hexdigest()
DRS = "/ga4gh/drs/v1"


@pytest.fixture
def app(make_app, database_url, seaweedfs_settings):
    app = make_app(DATABASE_URL=database_url, **seaweedfs_settings)
    empty_tables(app)
    return app


def test_the_drs_journey_on_seaweedfs(rest):
    rest.expect(201, "PUT", "/files/sample.vcf.gz", json={"size": len(DATA), "sha256": SHA256})
    upload = rest.upload("sample.vcf.gz", CHUNKS)

    drs_object = rest.expect(200, "GET", f"{DRS}/objects/sample.vcf.gz").json()
    schemas.validate(drs_object, schemas.DRS_OBJECT)
    assert (drs_object["size"], drs_object["checksums"]) == (
        len(DATA),
        [{"type": "sha-256", "checksum": SHA256}],
    )
    assert drs_object["version"] == upload["etag"].strip('"') and drs_object["version"].endswith("-2")
    [method] = drs_object["access_methods"]

    access = rest.expect(200, "GET", f"{DRS}/objects/sample.vcf.gz/access/{method['access_id']}").json()
    schemas.validate(access, schemas.ACCESS_URL)
    assert "X-Amz-Signature=" in access["url"] and access["headers"] == []
    fetched = requests.get(access["url"], timeout=60)
    assert fetched.status_code == 200 and hashlib.sha256(fetched.content).hexdigest() == SHA256
    ranged = requests.get(access["url"], headers={"Range": f"bytes={5 * MiB - 1}-{5 * MiB}"}, timeout=60)
    assert ranged.status_code == 206 and ranged.content == b"xy"
    tampered = access["url"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert requests.get(tampered, timeout=60).status_code == 403

    bulk = {"bulk_object_access_ids": [{"bulk_object_id": "sample.vcf.gz", "bulk_access_ids": ["https"]}]}
    answer = rest.expect(200, "POST", f"{DRS}/objects/access", json=bulk).json()
    schemas.validate(answer, schemas.BULK_ACCESS_URLS)
    [again] = answer["resolved_drs_object_access_urls"]
    assert hashlib.sha256(requests.get(again["url"], timeout=60).content).hexdigest() == SHA256

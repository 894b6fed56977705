"""Every outcome of validation on PostgreSQL and SeaweedFS: the object read back through ranged GETs, changed,
deleted and replaced in the store as an operator's mistake or a fault would do it."""

from __future__ import annotations

import hashlib
import os

import pytest

from tests.support.apps import build_app
from tests.support.databases import empty_tables
from tests.support.rest import outbox
from tests.support.s3_fixtures import *  # noqa: F403 - the seaweedfs fixtures
from tests.support.tokens import staff_client
from tests.support.validation import upload_row, upload_through_api, validate_once
from ucs.db.base import db

pytestmark = pytest.mark.postgres

MiB = 1024 * 1024


@pytest.fixture
def app(tmp_path, seaweedfs_settings, postgres_url):  # noqa: F405
    app = build_app(
        tmp_path / "instance",
        **seaweedfs_settings,
        DATABASE_URL=postgres_url,
        VALIDATION="builtin",
        VALIDATOR_ID="v1",
        VALIDATION_RANGE_SIZE=MiB,  # several ranges per object, read in parallel
    )
    empty_tables(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_accepted_changed_deleted_and_replaced_after_acceptance(app, seaweedfs, seaweedfs_settings):  # noqa: F405
    client, store = staff_client(app), seaweedfs.client()
    bucket = seaweedfs_settings["S3_BUCKET"]
    data = {name: os.urandom(3 * MiB + 17) for name in ("good", "changed", "deleted", "replaced")}
    uploads = {name: upload_through_api(client, name, content) for name, content in data.items()}
    keys = {name: upload_row(app, upload_id).key for name, upload_id in uploads.items()}

    flipped = bytearray(data["changed"])
    flipped[2 * MiB + 5] ^= 0x80
    store.put_object(Bucket=bucket, Key=keys["changed"], Body=bytes(flipped))
    store.delete_object(Bucket=bucket, Key=keys["deleted"])

    assert validate_once(app) == {"accepted": 2, "rejected": 2}

    rows = {name: upload_row(app, upload_id) for name, upload_id in uploads.items()}
    assert rows["good"].upload_status.value == "accepted" and rows["good"].sha256 == sha256(data["good"])
    changed = rows["changed"]
    assert changed.upload_status.value == "rejected"
    # Both SHA-256s, and the ETag that shows the object is not the one completed.
    assert changed.reason.startswith(
        f"sha256 expected {sha256(data['changed'])} (registered), got {sha256(bytes(flipped))}; etag expected "
    )
    assert rows["deleted"].reason == f"object missing: the store holds nothing under {keys['deleted']}"

    store.put_object(Bucket=bucket, Key=keys["replaced"], Body=os.urandom(3 * MiB + 17))
    assert validate_once(app, recheck_age=0) == {"intact": 1, "changed": 1}
    replaced = upload_row(app, uploads["replaced"])
    assert replaced.fixity_failed_at is not None
    assert replaced.fixity_reason.startswith(
        f"sha256 expected {sha256(data['replaced'])} (recorded at acceptance)"
    )
    assert upload_row(app, uploads["good"]).fixity_failed_at is None
    kinds = [kind for kind, _ in outbox(app)]
    assert (kinds.count("file.upload_accepted"), kinds.count("file.upload_rejected")) == (2, 2)
    assert kinds.count("file.fixity_failed") == 1
    assert client.get("/files/replaced/download").status_code == 409
    assert client.get("/files/good/download").status_code == 200


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

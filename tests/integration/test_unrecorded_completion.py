"""A completion the store finished but UCS never recorded (a worker killed mid-PATCH), on each kind of store.

The store then holds the joined object under the upload's key while the upload is still pending. The
client's completion sent again records it; a cancel or `ucs uploads cleanup` removes the object.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.support.databases import empty_tables
from tests.support.rest import outbox, upload_path
from tests.support.s3_fixtures import *  # noqa: F403 - the moto fixtures
from ucs import events
from ucs.cli.main import main
from ucs.db.base import db
from ucs.db.models import MultipartUpload, utcnow
from ucs.storage import ObjectNotFound

DATA = b"joined but never recorded " * 400
SHA256 = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(params=["filesystem", "s3"])
def app(request, make_app, database_url):
    """An app on the filesystem store, or on the s3 backend against moto's server."""
    settings = {} if request.param == "filesystem" else request.getfixturevalue("moto_settings")
    app = make_app(DATABASE_URL=database_url, **settings)
    empty_tables(app)
    return app


@pytest.fixture
def unrecorded(rest, app):
    """f1's upload completed in the store behind UCS's back: (upload id, its parts, the object's key)."""
    rest.expect(201, "PUT", "/files/f1", json={"size": len(DATA), "sha256": SHA256})
    upload_id = rest.start("f1")["upload_id"]
    parts = rest.put_parts(upload_id, [DATA])
    with app.app_context():
        key = db.session.get(MultipartUpload, upload_id).key
        storage = app.extensions["ucs.storage"]
        storage.complete_multipart_upload(key, upload_id, [(p["part_no"], p["etag"]) for p in parts])
        assert storage.head_object(key).size == len(DATA)
        db.session.remove()
    return upload_id, parts, key


def stored_object_size(app, key: str) -> int | None:
    try:
        return app.extensions["ucs.storage"].head_object(key).size
    except ObjectNotFound:
        return None


def test_the_completion_sent_again_records_the_upload(rest, app, unrecorded):
    """What the client does when told the store no longer holds the upload: it completes with its ETags."""
    upload_id, parts, key = unrecorded
    assert rest.complete(upload_id, parts, sha256=SHA256).status_code == 204
    done = rest.expect(200, "GET", upload_path(upload_id)).json()
    assert (done["status"], done["size"]) == ("uploaded", len(DATA))
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_RECEIVED]
    assert stored_object_size(app, key) == len(DATA)


def test_a_cancel_removes_the_object(rest, app, unrecorded):
    upload_id, _, key = unrecorded
    assert rest.cancel(upload_id).status_code == 204
    assert rest.expect(200, "GET", upload_path(upload_id)).json()["status"] == "canceled"
    assert stored_object_size(app, key) is None
    assert rest.start("f1")["status"] == "pending"  # the file is free for a new upload


def test_cleanup_removes_the_object_of_an_abandoned_upload(app, unrecorded):
    upload_id, _, key = unrecorded
    with app.app_context():
        db.session.execute(
            update(MultipartUpload)
            .where(MultipartUpload.s3_upload_id == upload_id)
            .values(created_at=utcnow() - timedelta(days=8))
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(main, ["uploads", "cleanup", "--older-than", "7d"])
    assert result.exit_code == 0, result.output
    assert "canceled 1 upload(s)" in result.output
    assert stored_object_size(app, key) is None

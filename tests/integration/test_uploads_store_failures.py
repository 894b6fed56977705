"""An upload whose store fails or loses it, over real HTTP: a recorded cancel stays, a lost upload is a 409
that says what to do.

The filesystem store is the backend: its presigned URLs point back at the live server.
"""

import shutil
from pathlib import Path

import pytest

from tests.support.rest import outbox, snapshot, upload_path
from tests.support.sample_upload import store_uploads
from ucs import events
from ucs.storage import StorageUnavailable


def test_a_store_failing_to_abort_does_not_undo_a_recorded_cancel(rest, app):
    """The cancel is committed first; an abort the store then fails only leaves parts behind (logged)."""
    rest.register("f-abort")
    upload_id = rest.start("f-abort")["upload_id"]
    storage = app.extensions["ucs.storage"]
    abort_in_store = storage.abort_multipart_upload

    def unavailable(*args, **kwargs):
        raise StorageUnavailable("the store is down")

    storage.abort_multipart_upload = unavailable
    try:
        assert rest.cancel(upload_id).status_code == 204
    finally:
        storage.abort_multipart_upload = abort_in_store
    assert rest.expect(200, "GET", upload_path(upload_id)).json()["status"] == "canceled"
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_CANCELED]
    assert store_uploads(app) == [upload_id]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_pending_upload_the_store_lost_is_a_409_that_says_what_to_do(rest, app):
    """Not a 502 a client would retry: no wait brings back an upload the store no longer holds."""
    rest.register("f-lost")
    upload_id = rest.start("f-lost")["upload_id"]
    shutil.rmtree(Path(app.config["FILESYSTEM_ROOT"]) / "uploads" / upload_id)  # as another store root would
    before = snapshot(app)
    for suffix, method in (("/parts", "GET"), ("/part/1/presigned_post", "POST")):
        answer = rest.call(method, upload_path(upload_id, suffix))
        assert answer.status_code == 409, answer.text
        message = answer.json()["message"]
        assert message.startswith(
            f"the object store no longer holds this upload (no multipart upload {upload_id})"
        )
        assert message.endswith("cancel the upload and start a new one")
    assert snapshot(app) == before
    assert rest.cancel(upload_id).status_code == 204  # which the client is told to do

"""A completion records nothing the store's own answers contradict: the joined object's size, by HEAD."""

from __future__ import annotations

import io

import pytest

from tests.support.apps import build_app
from ucs.db.base import db
from ucs.db.queries import get_upload
from ucs.operations.completion import complete_upload
from ucs.operations.registration import register_file, start_upload
from ucs.plugins import current_storage
from ucs.storage import ObjectInfo, StoreContradicts
from ucs.uploads import ListedPart, UploadStatus

DATA = b"twelve bytes" * 1000


class MisreportingStore:
    """The filesystem store, whose HEAD answers report `size` bytes for every object (a faulty proxy)."""

    def __init__(self, inner, size: int):
        self.inner = inner
        self.size = size

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def head_object(self, key: str) -> ObjectInfo:
        return ObjectInfo(size=self.size, etag=self.inner.head_object(key).etag)


@pytest.fixture
def app(tmp_path, sqlite_url):
    app = build_app(tmp_path / "instance", DATABASE_URL=sqlite_url, FILESYSTEM_ROOT=str(tmp_path / "storage"))
    yield app
    with app.app_context():
        db.engine.dispose()


def pending_upload_with_its_part(app, registered_size: int | None) -> tuple[str, list[ListedPart]]:
    storage = current_storage(app)
    register_file("f1", registered_size, None)
    upload = start_upload(storage, "f1", None, app.config["PART_SIZE"], actor="tester")
    etag = storage.write_part(upload.s3_upload_id, 1, io.BytesIO(DATA), len(DATA))
    return upload.s3_upload_id, [ListedPart(1, etag)]


@pytest.mark.parametrize("registered_size", [len(DATA), None], ids=["size registered", "no size registered"])
def test_a_joined_object_reported_with_another_size_is_not_recorded(app, registered_size):
    with app.app_context():
        upload_id, parts = pending_upload_with_its_part(app, registered_size)
        lying = MisreportingStore(current_storage(app), 0)

        with pytest.raises(StoreContradicts) as refused:
            complete_upload(lying, upload_id, parts, None, "tester")
        db.session.rollback()  # as the error handler does
        assert str(refused.value).startswith(
            f"it reports 0 bytes for the joined object, but its parts hold {len(DATA)}"
        )
        assert "the upload stays pending" in str(refused.value)
        upload = get_upload(upload_id)
        assert (upload.upload_status, upload.size) == (UploadStatus.PENDING, None)

        # An honest answer to the completion sent again records the upload with the object's real size.
        upload = complete_upload(current_storage(app), upload_id, parts, None, "tester")
        assert (upload.upload_status, upload.size) == (UploadStatus.UPLOADED, len(DATA))


def test_a_completion_sent_again_is_refused_too_while_the_store_misreports(app):
    """The store already joined the object: the registered size is what its HEAD must report."""
    with app.app_context():
        upload_id, parts = pending_upload_with_its_part(app, len(DATA))
        lying = MisreportingStore(current_storage(app), len(DATA) - 1)
        for _ in range(2):  # the first attempt joins the object, the second finds it joined
            with pytest.raises(StoreContradicts, match=f"reports {len(DATA) - 1} bytes"):
                complete_upload(lying, upload_id, parts, None, "tester")
            db.session.rollback()
            assert get_upload(upload_id).upload_status is UploadStatus.PENDING
        assert current_storage(app).head_object(get_upload(upload_id).key).size == len(DATA)  # kept

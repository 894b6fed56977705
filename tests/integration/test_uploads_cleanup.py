"""`ucs uploads cleanup`: abandoned pending uploads are canceled and their parts leave the store."""

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.support.rest import outbox
from ucs import events
from ucs.cli.durations import parse_duration
from ucs.cli.main import main
from ucs.db import queries
from ucs.db.base import db
from ucs.db.models import MultipartUpload, utcnow
from ucs.operations import life_cycle, registration
from ucs.storage import StorageUnavailable
from ucs.uploads import UploadStatus


def start(app, file_id: str, started_ago: timedelta) -> str:
    with app.app_context():
        registration.register_file(file_id, None, None)
        upload = registration.start_upload(
            app.extensions["ucs.storage"], file_id, None, app.config["PART_SIZE"], actor="tester"
        )
        db.session.execute(
            update(MultipartUpload)
            .where(MultipartUpload.s3_upload_id == upload.s3_upload_id)
            .values(created_at=utcnow() - started_ago)
        )
        db.session.commit()
        return upload.s3_upload_id


def statuses(app) -> dict[str, tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.scalars(db.select(MultipartUpload)).all()
        return {row.file_id: (row.upload_status.value, row.reason) for row in rows}


def store_uploads(app) -> set[str]:
    return {path.name for path in (Path(app.config["FILESYSTEM_ROOT"]) / "uploads").iterdir()}


def cleanup(app, *args: str):
    return app.test_cli_runner().invoke(main, ["uploads", "cleanup", *args])


def test_only_uploads_pending_longer_than_the_limit_are_canceled(app):
    stale = start(app, "stale", timedelta(days=8))
    fresh = start(app, "fresh", timedelta(hours=1))

    listed = cleanup(app, "--older-than", "7d", "--dry-run")
    assert listed.exit_code == 0, listed.output
    assert "1 pending upload(s) started more than 7d ago" in listed.output
    assert f"would cancel {stale} of file stale" in listed.output and fresh not in listed.output
    assert statuses(app)["stale"] == ("pending", None) and outbox(app) == []

    result = cleanup(app, "--older-than", "7d")
    assert result.exit_code == 0, result.output
    assert "canceled 1 upload(s)" in result.output
    assert statuses(app) == {
        "stale": ("canceled", "abandoned: still pending after 7d"),
        "fresh": ("pending", None),
    }
    assert outbox(app) == [
        (
            events.UPLOAD_CANCELED,
            {
                "file_id": "stale",
                "upload_id": stale,
                "reason": "abandoned: still pending after 7d",
                "actor": "ucs uploads cleanup",
            },
        )
    ]
    assert store_uploads(app) == {fresh}
    with app.app_context():  # the file is free for a new upload
        assert queries.active_upload("stale") is None
        assert queries.get_upload(fresh).upload_status is UploadStatus.PENDING


def test_a_duration_it_cannot_read_is_refused_by_name(app):
    start(app, "stale", timedelta(days=8))
    result = cleanup(app, "--older-than", "a week")
    assert result.exit_code == 2
    assert "'a week' is not a duration such as 7d, 12h, 30m or 45s" in result.output
    assert statuses(app)["stale"] == ("pending", None)


@pytest.mark.parametrize(
    ("text", "seconds"), [("45s", 45), ("30m", 1800), ("12h", 43200), ("7d", 604800), (" 1d ", 86400)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


def store_part(app, upload_id: str, part_no: int) -> None:
    app.extensions["ucs.storage"].write_part(upload_id, part_no, io.BytesIO(b"part" * 1000), 4000)


def canceled_with_parts_left(app, file_id: str, how: str) -> str:
    """A canceled upload whose parts stayed in the store, as an abort that did not finish leaves it."""
    upload_id = start(app, file_id, timedelta(hours=1))
    store_part(app, upload_id, 1)
    store_part(app, upload_id, 2)
    storage = app.extensions["ucs.storage"]
    if how == "half removed":  # what an older UCS's abort, racing part uploads, left: parts, no key file
        (Path(app.config["FILESYSTEM_ROOT"]) / "uploads" / upload_id / "key").unlink()

    def unavailable(*args, **kwargs):
        raise StorageUnavailable("the store is down")

    abort = storage.abort_multipart_upload
    storage.abort_multipart_upload = unavailable
    try:
        with app.app_context():
            life_cycle.cancel_upload(storage, upload_id, actor="tester")
    finally:
        storage.abort_multipart_upload = abort
    assert upload_id in store_uploads(app)
    return upload_id


@pytest.mark.parametrize("how", ["abort failed", "half removed"])
def test_the_parts_of_an_upload_whose_abort_did_not_finish_are_found_and_removed(app, how):
    left = canceled_with_parts_left(app, "left", how)
    pending = start(app, "pending", timedelta(hours=1))
    store_part(app, pending, 1)

    listed = cleanup(app, "--dry-run")
    assert listed.exit_code == 0, listed.output
    assert "1 unfinished upload(s) in the store that no pending upload accounts for" in listed.output
    assert f"would abort {left}, started" in listed.output and "its upload is canceled" in listed.output
    assert store_uploads(app) == {left, pending}

    result = cleanup(app)
    assert result.exit_code == 0, result.output
    assert f"aborting {left}" in result.output and "aborted 1 leftover(s)" in result.output
    assert store_uploads(app) == {pending}
    assert statuses(app) == {"left": ("canceled", "canceled by the client"), "pending": ("pending", None)}
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_CANCELED]  # the cleanup added none


def test_a_store_upload_the_database_does_not_know_is_removed_once_older_than_the_limit(app):
    storage = app.extensions["ucs.storage"]
    old, young = storage.create_multipart_upload("x/old"), storage.create_multipart_upload("x/young")
    week_ago = time.time() - 8 * 86400
    os.utime(Path(app.config["FILESYSTEM_ROOT"]) / "uploads" / old / "key", (week_ago, week_ago))

    result = cleanup(app, "--older-than", "7d")

    assert result.exit_code == 0, result.output
    assert f"aborting {old}" in result.output and "unknown to the database" in result.output
    assert young not in result.output
    assert store_uploads(app) == {young}

"""`ucs uploads cleanup`: abandoned pending uploads are canceled and their parts leave the store."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.support.rest import outbox
from ucs import events, services
from ucs.cleanup import parse_duration
from ucs.cli import main
from ucs.extensions import db
from ucs.models import MultipartUpload, utcnow
from ucs.uploads import UploadStatus


def start(app, file_id: str, started_ago: timedelta) -> str:
    with app.app_context():
        services.register_file(file_id, None, None)
        upload = services.start_upload(
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
    return {path.name for path in (Path(app.config["STORAGE_ROOT"]) / "uploads").iterdir()}


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
        assert services.active_upload("stale") is None
        assert services.get_upload(fresh).upload_status is UploadStatus.PENDING


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

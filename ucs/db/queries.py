"""Looking up files and uploads in the current transaction; NotFound or Conflict when there is none."""

from __future__ import annotations

from sqlalchemy import Row, bindparam, select

from ucs.db.base import db
from ucs.db.models import File, MultipartUpload
from ucs.problems import NotFound
from ucs.uploads import ACTIVE_STATUSES

UPLOADS = MultipartUpload.__table__
UPLOAD_BY_ID = select(UPLOADS).where(UPLOADS.c.s3_upload_id == bindparam("upload_id"))


def get_file(file_id: str, for_update: bool = False) -> File:
    file = db.session.get(File, file_id, with_for_update=for_update)
    if file is None:
        raise NotFound(f"file {file_id!r} is not registered")
    return file


def get_upload(upload_id: str, for_update: bool = False) -> MultipartUpload:
    # populate_existing: once the lock is ours, re-read the row even if this session loaded it before.
    upload = db.session.get(
        MultipartUpload, upload_id, with_for_update=for_update, populate_existing=for_update
    )
    if upload is None:
        raise NotFound(f"no multipart upload with id {upload_id!r}")
    return upload


def upload_row(upload_id: str) -> Row:
    """The upload's columns as attributes (MultipartUpload's names), read with a prebuilt Core query.

    The lookup of every request keyed by upload id (the access check, part URLs, status): loading an ORM
    object for it cost about twice the query itself. Code that changes an upload uses get_upload.
    """
    row = db.session.execute(UPLOAD_BY_ID, {"upload_id": upload_id}).first()
    if row is None:
        raise NotFound(f"no multipart upload with id {upload_id!r}")
    return row


def active_upload(file_id: str) -> MultipartUpload | None:
    """The file's one pending, uploaded or accepted upload, if it has one."""
    return db.session.scalars(
        select(MultipartUpload).where(
            MultipartUpload.file_id == file_id, MultipartUpload.upload_status.in_(ACTIVE_STATUSES)
        )
    ).first()

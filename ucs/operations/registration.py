"""Registering a file and starting its upload: the two operations that race over a file's size.

A file has at most one active upload, whose part size was planned from the file's registered size, so a
registration may not change the size or checksum under an active upload, and an upload may not start
from a size a registration is changing. Each operation is one database transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ucs.db.base import db
from ucs.db.models import File, MultipartUpload, utcnow
from ucs.db.queries import active_upload, get_file
from ucs.operations.life_cycle import abort_quietly, audited
from ucs.operations.status_changes import StatusChange, report
from ucs.problems import BadRequest, Conflict
from ucs.storage import StorageBackend
from ucs.uploads import UploadStatus, part_size_for


def register_file(
    file_id: str, size: int | None, sha256: str | None, commit: bool = True
) -> tuple[File, bool]:
    """Create or update a file's registration; returns the file and whether it was created.

    With commit=False the caller commits (the event consumer, with the event's id in the same transaction).
    """
    file = db.session.get(File, file_id, with_for_update=True)
    created = file is None
    if created:
        file = File(file_id=file_id, size=size, sha256=sha256)
        db.session.add(file)
    else:
        changes = (size is not None and size != file.size) or (sha256 is not None and sha256 != file.sha256)
        if size is not None:
            file.size = size
        if sha256 is not None:
            file.sha256 = sha256
        if changes:
            # Write first, then look for an active upload: the write waits for (or holds off) a starting
            # upload on both databases (a row lock on PostgreSQL, the single writer on SQLite), so the check
            # sees any upload that committed first, and _claim_file refuses any that commits later.
            db.session.flush()
            active = active_upload(file_id)
            if active is not None:
                message = (
                    f"file {file_id!r} has an upload that is {active.upload_status.value} "
                    f"({active.s3_upload_id}); its size and checksum cannot change now"
                )
                db.session.rollback()
                raise Conflict(message)
    if commit:
        db.session.commit()
    return file, created


def start_upload(
    storage: StorageBackend, file_id: str, size: int | None, default_part_size: int, actor: str
) -> MultipartUpload:
    """Start a multipart upload in the store and record it as the file's one pending upload."""
    file = get_file(file_id)
    if size is not None and file.size is not None and size != file.size:
        raise BadRequest(f"size {size} differs from the registered size {file.size} of file {file_id!r}")
    _refuse_if_active(file_id)
    part_size = part_size_for(file.size if file.size is not None else size, default_part_size)

    key = f"{file_id}/{uuid.uuid4().hex}"
    upload_id = storage.create_multipart_upload(key)
    upload = MultipartUpload(
        s3_upload_id=upload_id,
        file_id=file_id,
        upload_status=UploadStatus.PENDING,
        part_size=part_size,
        size=size,
        backend=storage.name,
        bucket=storage.bucket,
        key=key,
        started_by=audited(actor),
    )
    db.session.add(upload)
    report(StatusChange(upload_id, file_id, None, UploadStatus.PENDING, size, upload.started_by))
    try:
        _claim_file(file, upload_id)
        db.session.commit()
    except Exception as error:
        # Nothing in the database points at the store's upload: abort it rather than leave its parts behind.
        db.session.rollback()
        abort_quietly(storage, key, upload_id)
        if isinstance(error, IntegrityError | Conflict):
            # Another request won the race between our check and our insert: the index refused ours.
            _refuse_if_active(file_id)
        raise
    return upload


def _claim_file(file: File, upload_id: str) -> None:
    """Point the file at its new upload, provided its size is still the one the part size came from.

    The UPDATE waits for a concurrent registration holding the row (register_file locks it) and then
    re-checks the size, so a part size is never planned for a size that changed meanwhile.
    """
    size_unchanged = File.size.is_(None) if file.size is None else File.size == file.size
    claimed = db.session.execute(
        update(File)
        .where(File.file_id == file.file_id, size_unchanged)
        .values(s3_upload_id=upload_id, updated_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise Conflict(f"file {file.file_id!r} was registered anew while its upload started; start it again")


def _refuse_if_active(file_id: str) -> None:
    active = active_upload(file_id)
    if active is not None:
        raise Conflict(
            f"file {file_id!r} already has an upload that is {active.upload_status.value}: {active.s3_upload_id}"
        )

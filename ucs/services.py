"""The operations behind the REST API and the event consumer, each one database transaction.

Views and consumers stay thin: they parse input, call one of these functions and shape the answer.
Every status change goes through ucs.uploads.transition and records its event in the same transaction.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ucs import events
from ucs.extensions import db
from ucs.models import File, MultipartUpload, utcnow
from ucs.storage import StorageBackend, StorageError, UploadNotFound
from ucs.uploads import (
    ACTIVE_STATUSES,
    UploadError,
    UploadStatus,
    part_size_for,
    transition,
)

log = logging.getLogger(__name__)


class NotFound(UploadError):
    pass


class Conflict(UploadError):
    pass


class BadRequest(UploadError):
    pass


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


def active_upload(file_id: str) -> MultipartUpload | None:
    return db.session.scalars(
        select(MultipartUpload).where(
            MultipartUpload.file_id == file_id, MultipartUpload.upload_status.in_(ACTIVE_STATUSES)
        )
    ).first()


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


def audited(actor: str) -> str:
    return actor[:255]


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


def abort_quietly(storage: StorageBackend, key: str, upload_id: str) -> None:
    """Discard a store upload whose fate is already decided; a store that fails here only costs space."""
    try:
        storage.abort_multipart_upload(key, upload_id)
    except UploadNotFound:
        pass
    except StorageError as error:
        log.warning(
            "could not abort multipart upload %s (%s): %s; its parts stay in the store", upload_id, key, error
        )


def change_status(upload: MultipartUpload, target: UploadStatus, actor: str, **values) -> None:
    """Move an upload to target, if and only if its status is still the one we read (compare-and-set).

    Row locks (FOR UPDATE) already serialise this on PostgreSQL; SQLite, the embedded default, has none,
    so the UPDATE's WHERE clause is what keeps two racing requests (a cancel and a completion, say) from
    both winning. The caller commits; on Conflict the transaction is rolled back.
    """
    current = upload.upload_status
    transition(current, target)
    changed = db.session.execute(
        update(MultipartUpload)
        .where(MultipartUpload.s3_upload_id == upload.s3_upload_id, MultipartUpload.upload_status == current)
        .values(upload_status=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        now = get_upload(upload.s3_upload_id)
        raise Conflict(
            f"upload {upload.s3_upload_id} became {now.upload_status.value} meanwhile{why_ended(now)}; "
            f"it cannot become {target.value}"
        )
    # Keep the loaded object in step with the row for the rest of this request; ucs.status_changes logs
    # the change, with its actor, once it commits.
    upload.acting_subject = actor
    upload.upload_status = target
    for name, value in values.items():
        setattr(upload, name, value)
    db.session.flush()


def require_pending(upload: MultipartUpload) -> None:
    if upload.upload_status is not UploadStatus.PENDING:
        raise Conflict(
            f"upload {upload.s3_upload_id} is {upload.upload_status.value}, not pending{why_ended(upload)}"
        )


def why_ended(upload: MultipartUpload) -> str:
    """The reason an upload ended, in parentheses after its state, when it has one."""
    return f" ({upload.reason})" if upload.reason else ""


def cancel_upload(
    storage: StorageBackend, upload_id: str, actor: str, reason: str = "canceled by the client"
) -> MultipartUpload:
    """Cancel a pending upload, then abort it in the store.

    The database commits first: if the commit fails, the store upload is still there to finish. A retried
    cancel changes nothing but tries the abort again, in case the store failed the first time.
    """
    upload = get_upload(upload_id, for_update=True)
    if upload.upload_status is not UploadStatus.CANCELED:
        require_pending(upload)
        change_status(upload, UploadStatus.CANCELED, actor, reason=reason, ended_by=audited(actor))
        events.record_event(events.UPLOAD_CANCELED, reason_payload(upload, actor))
        db.session.commit()
    abort_quietly(storage, upload.key, upload.s3_upload_id)
    return upload


def reason_payload(upload: MultipartUpload, actor: str) -> dict:
    return {
        "file_id": upload.file_id,
        "upload_id": upload.s3_upload_id,
        "reason": upload.reason,
        "actor": actor,
    }


def record_validation(
    upload_id: str, outcome: UploadStatus, reason: str | None, actor: str
) -> MultipartUpload:
    """Apply a validator's verdict: uploaded -> accepted or rejected. The caller commits."""
    upload = get_upload(upload_id, for_update=True)
    change_status(upload, outcome, actor, reason=reason)
    return upload


def completed_upload(file_id: str) -> MultipartUpload:
    """The file's upload whose object can be downloaded (uploaded or accepted)."""
    get_file(file_id)
    upload = db.session.scalars(
        select(MultipartUpload).where(
            MultipartUpload.file_id == file_id,
            MultipartUpload.upload_status.in_([UploadStatus.UPLOADED, UploadStatus.ACCEPTED]),
        )
    ).first()
    if upload is None:
        raise Conflict(f"file {file_id!r} has no completed upload to download")
    return upload

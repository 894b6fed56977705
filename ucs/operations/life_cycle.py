"""An upload's life cycle in the database: its status changes, how it ends, and a validator's verdict.

Every status change goes through change_status, which checks ucs.uploads.TRANSITIONS and writes with
compare-and-set (docs/architecture.md, "The state machine"). A cancel and a failed completion end an
upload the same way, through end_upload: the status, its reason and audit columns, the event, the commit,
and then the store's abort and the removal of any object under the upload's key.
"""

from __future__ import annotations

import logging
from types import MappingProxyType

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from ucs import events
from ucs.db.base import db
from ucs.db.models import MultipartUpload, utcnow
from ucs.db.queries import get_upload
from ucs.operations.status_changes import StatusChange, report
from ucs.problems import Conflict
from ucs.storage import StorageBackend, StorageError, UploadNotFound
from ucs.uploads import UploadStatus, transition

log = logging.getLogger("ucs.life_cycle")  # the name logs have always carried (docs/operations.md)

# How a pending upload can end without an object, and the event each end publishes.
END_EVENTS: dict[UploadStatus, type[events.UploadEnded]] = {
    UploadStatus.CANCELED: events.UploadCanceled,
    UploadStatus.FAILED: events.UploadFailed,
}
# Longest reason the database keeps (multipart_uploads.reason).
MAX_REASON = 1024
# A validator's lease given up, as every write that ends one sets it (ucs/operations/validation.py).
LEASE_CLEARED = MappingProxyType(
    {"validation_lease_owner": None, "validation_lease_until": None, "validation_progress": None}
)


def audited(actor: str) -> str:
    """The actor as the audit columns (started_by, ended_by) hold it."""
    return actor[:255]


def why_ended(upload: MultipartUpload) -> str:
    """The reason an upload ended, in parentheses after its state, when it has one."""
    return f" ({upload.reason})" if upload.reason else ""


def require_pending(upload: MultipartUpload) -> None:
    """Refuse, with Conflict, to act on an upload that is no longer pending."""
    if upload.upload_status is not UploadStatus.PENDING:
        raise Conflict(
            f"upload {upload.s3_upload_id} is {upload.upload_status.value}, not pending{why_ended(upload)}"
        )


def change_status(
    upload: MultipartUpload, target: UploadStatus, actor: str, also_where: tuple = (), **values
) -> None:
    """Move an upload to target, if and only if its status is still the one we read (compare-and-set).

    Row locks (FOR UPDATE) already serialise this on PostgreSQL; SQLite, the embedded default, has none,
    so the UPDATE's WHERE clause is what keeps two racing requests (a cancel and a completion, say) from
    both winning. also_where adds conditions of the caller's (a validator's lease). The change is reported
    with the transaction (ucs/operations/status_changes.py). The caller commits; on Conflict the transaction
    is rolled back.
    """
    current = upload.upload_status
    transition(current, target)
    changed_at = utcnow()
    changed = db.session.execute(
        update(MultipartUpload)
        .where(
            MultipartUpload.s3_upload_id == upload.s3_upload_id,
            MultipartUpload.upload_status == current,
            *also_where,
        )
        .values(upload_status=target, updated_at=changed_at, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        now = get_upload(upload.s3_upload_id)
        raise Conflict(
            f"upload {upload.s3_upload_id} became {now.upload_status.value} meanwhile{why_ended(now)}; "
            f"it cannot become {target.value}"
        )
    # Keep the loaded object in step with the row, as loaded values: the row is written, nothing to flush.
    for name, value in {"upload_status": target, "updated_at": changed_at, **values}.items():
        set_committed_value(upload, name, value)
    report(StatusChange(upload.s3_upload_id, upload.file_id, current, target, upload.size, actor))


def end_upload(
    storage: StorageBackend, upload: MultipartUpload, status: UploadStatus, reason: str, actor: str
) -> None:
    """End a pending upload as canceled or failed: record it with its event, commit, then discard it in the store.

    The database commits first: if the commit fails, the store upload is still there to finish. Raises
    Conflict, as change_status does, when another request changed the upload first.
    """
    change_status(upload, status, actor, reason=reason[:MAX_REASON], ended_by=audited(actor))
    events.record(END_EVENTS[status](upload.file_id, upload.s3_upload_id, upload.reason, actor))
    db.session.commit()
    discard_quietly(storage, upload.key, upload.s3_upload_id)


def cancel_upload(
    storage: StorageBackend, upload_id: str, actor: str, reason: str = "canceled by the client"
) -> MultipartUpload:
    """Cancel a pending upload, then discard it in the store.

    A retried cancel changes nothing but discards again, in case the store failed the first time.
    """
    upload = get_upload(upload_id, for_update=True)
    if upload.upload_status is UploadStatus.CANCELED:
        discard_quietly(storage, upload.key, upload.s3_upload_id)
    else:
        require_pending(upload)
        end_upload(storage, upload, UploadStatus.CANCELED, reason, actor)
    return upload


def record_validation(
    upload_id: str,
    outcome: UploadStatus,
    reason: str | None,
    actor: str,
    sha256: str | None = None,
    lease_owner: str | None = None,
) -> MultipartUpload:
    """Apply a verdict, uploaded -> accepted or rejected, with its file.upload_accepted or _rejected event.

    actor is who judged (validated_by). UCS's validator passes the SHA-256 it computed, which becomes the
    upload's (and the file's, where none was registered), and its lease_owner: the verdict is recorded only
    while that lease is still its own (Conflict otherwise). The caller commits.
    """
    upload = get_upload(upload_id, for_update=True)
    now = utcnow()
    values = {"reason": None if reason is None else reason[:MAX_REASON], "validated_at": now}
    values["validated_by"] = audited(actor)
    if outcome is UploadStatus.ACCEPTED and sha256 is not None:
        values.update(sha256=sha256, fixity_checked_at=now)  # every byte was just read and hashed
    also_where = ()
    if lease_owner is not None:
        also_where = (MultipartUpload.validation_lease_owner == lease_owner,)
        values.update(LEASE_CLEARED)
    change_status(upload, outcome, actor, also_where, **values)
    if sha256 is not None and outcome is UploadStatus.ACCEPTED and upload.file.sha256 is None:
        upload.file.sha256 = sha256
    verdict = events.UploadAccepted if outcome is UploadStatus.ACCEPTED else events.UploadRejected
    events.record(
        verdict(
            file_id=upload.file_id,
            upload_id=upload.s3_upload_id,
            size=upload.size,
            sha256=upload.sha256 or upload.file.sha256,
            etag=upload.etag,
            reason=upload.reason,
            validated_by=upload.validated_by,
            validated_at=now.isoformat(),
        )
    )
    return upload


def discard_quietly(storage: StorageBackend, key: str, upload_id: str) -> None:
    """Discard what the store holds for an upload that ended without an object: its parts, and an object.

    The key is the upload's own, so an object under it was joined by a completion the store finished but
    UCS never recorded (a worker killed mid-completion): nothing else will ever remove it.
    """
    abort_quietly(storage, key, upload_id)
    try:
        storage.delete_object(key)
    except StorageError as error:
        log.warning(
            "could not remove object %s of upload %s: %s; it stays in the store", key, upload_id, error
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

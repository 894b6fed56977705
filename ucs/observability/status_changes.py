"""Count and log every upload status change once its transaction commits, wherever it was made.

The REST API, the consumer and the cleanup command all change statuses through ucs.operations.life_cycle; watching
the session instead of those call sites counts a change exactly when it becomes true: a change that is
rolled back (a lost race, a failed commit) is neither counted nor logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from ucs.db.base import db
from ucs.db.models import MultipartUpload
from ucs.observability import metrics
from ucs.uploads import UploadStatus

log = logging.getLogger("ucs.status_changes")  # the name logs have always carried (docs/operations.md)

SESSION_KEY = "ucs.status_changes"


@dataclass(frozen=True)
class StatusChange:
    upload_id: str
    file_id: str
    previous: UploadStatus | None
    status: UploadStatus
    size: int | None
    actor: str | None


def _changes(session: Session) -> list[StatusChange]:
    return session.info.setdefault(SESSION_KEY, [])


@event.listens_for(db.session, "before_flush")
def _collect(session: Session, _context, _instances) -> None:
    for upload in session.new:
        if isinstance(upload, MultipartUpload):
            status = upload.upload_status or UploadStatus.PENDING
            _changes(session).append(
                StatusChange(
                    upload.s3_upload_id, upload.file_id, None, status, upload.size, upload.started_by
                )
            )
    for upload in session.dirty:
        if isinstance(upload, MultipartUpload):
            history = inspect(upload).attrs.upload_status.history
            if history.added and history.deleted and history.added[0] != history.deleted[0]:
                # life_cycle.change_status names who made the change on the loaded object (not a column).
                actor = getattr(upload, "acting_subject", None)
                change = StatusChange(
                    upload.s3_upload_id,
                    upload.file_id,
                    history.deleted[0],
                    history.added[0],
                    upload.size,
                    actor,
                )
                _changes(session).append(change)


@event.listens_for(db.session, "after_commit")
def _report(session: Session) -> None:
    for change in session.info.pop(SESSION_KEY, []):
        metrics.UPLOADS.labels(change.status.value).inc()
        if change.status is UploadStatus.UPLOADED:
            metrics.UPLOADED_BYTES.inc(change.size or 0)
        log.info(
            "upload %s of file %s: %s -> %s by %s",
            change.upload_id,
            change.file_id,
            change.previous.value if change.previous else "new",
            change.status.value,
            change.actor or "unknown",
            extra={
                "subject": change.actor,
                "upload_id": change.upload_id,
                "file_id": change.file_id,
                "upload_status": change.status.value,
                "size": change.size if change.status is UploadStatus.UPLOADED else None,
            },
        )


@event.listens_for(db.session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # After a commit the list is already reported and empty; after a rollback its changes never happened.
    if transaction.parent is None:
        session.info.pop(SESSION_KEY, None)

"""Count and log every upload status change once its transaction commits, wherever it was made.

The REST API, the consumer and the cleanup command all change statuses through ucs.operations, which report
each change with the transaction that makes it (ucs/operations/status_changes.py). init_app counts and logs
them when that transaction commits: a change that is rolled back is neither counted nor logged.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from ucs.db.base import db
from ucs.observability import metrics
from ucs.operations.status_changes import StatusChange, forget, take_committed
from ucs.uploads import UploadStatus

log = logging.getLogger("ucs.status_changes")  # the name logs have always carried (docs/operations.md)


def init_app(app: Flask) -> None:
    """Report the status changes of every transaction of db.session that commits (once per process)."""
    if not event.contains(db.session, "after_commit", _report_committed):
        event.listen(db.session, "after_commit", _report_committed)
        event.listen(db.session, "after_transaction_end", _forget_uncommitted)


def _report_committed(session: Session) -> None:
    for change in take_committed(session):
        report(change)


def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # After a commit the list is already reported and gone; after a rollback its changes never happened.
    if transaction.parent is None:
        forget(session)


def report(change: StatusChange) -> None:
    """The status change's metrics and its log line (docs/operations.md)."""
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

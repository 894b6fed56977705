"""Finding abandoned uploads: pending ones nobody completed or canceled in time, and store leftovers.

Their parts cost storage until someone aborts them (S3 keeps incomplete multipart uploads forever unless a
lifecycle rule says otherwise) and they keep their file from starting a fresh upload. Leftovers are
unfinished uploads in the store that no pending upload accounts for: an abort that never finished (UCS
stopped, or the store failed it), or a start whose record was never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ucs.db.base import db
from ucs.db.models import MultipartUpload, utcnow
from ucs.storage import ListsUploads, StoreUpload
from ucs.uploads import UploadStatus


def stale_uploads(older_than: timedelta, now: datetime | None = None) -> list[MultipartUpload]:
    """Pending uploads started before now - older_than, oldest first."""
    cutoff = (now or utcnow()) - older_than
    return list(
        db.session.scalars(
            select(MultipartUpload)
            .where(MultipartUpload.upload_status == UploadStatus.PENDING, MultipartUpload.created_at < cutoff)
            .order_by(MultipartUpload.created_at)
        )
    )


@dataclass(frozen=True)
class Leftover:
    upload: StoreUpload
    #: The key to abort it with: the database's when it knows the upload, else the store's.
    key: str
    why: str


def store_leftovers(
    storage: ListsUploads, older_than: timedelta, now: datetime | None = None
) -> list[Leftover]:
    """The store's unfinished uploads that no pending upload accounts for, oldest first.

    Those the database records as finished (canceled, failed or completed), and those it does not know,
    once they are older than the limit (a younger one may be a start whose record is being written).
    """
    cutoff = (now or utcnow()) - older_than
    found = []
    for unfinished in sorted(storage.list_multipart_uploads(), key=lambda upload: upload.started):
        record = db.session.get(MultipartUpload, unfinished.upload_id)
        if record is None and unfinished.started < cutoff:
            found.append(Leftover(unfinished, unfinished.key or "", "unknown to the database"))
        elif record is not None and record.upload_status is not UploadStatus.PENDING:
            found.append(Leftover(unfinished, record.key, f"its upload is {record.upload_status.value}"))
    return found

"""Finding abandoned uploads: pending ones nobody completed or canceled in time.

Their parts cost storage until someone aborts them (S3 keeps incomplete multipart uploads forever unless a
lifecycle rule says otherwise) and they keep their file from starting a fresh upload.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from ucs.extensions import db
from ucs.models import MultipartUpload, utcnow
from ucs.uploads import UploadStatus

DURATION = re.compile(r"^(\d{1,6})([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """'7d', '12h', '30m' or '45s' as a timedelta; ValueError names the expected form."""
    match = DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 7d, 12h, 30m or 45s")
    return timedelta(seconds=int(match.group(1)) * UNIT_SECONDS[match.group(2)])


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

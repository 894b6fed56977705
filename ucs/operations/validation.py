"""Validation in the database: claiming objects under a lease, renewing and releasing it, and recording
verdicts and fixity checks (docs/validation.md). One short transaction each; the reading happens between
them, outside any transaction.

A validator claims an object by writing its lease (owner, until when) with compare-and-set: the UPDATE
only matches while the lease is free. On PostgreSQL the candidate row is first locked with
FOR UPDATE SKIP LOCKED, so validators on several hosts pick different objects instead of colliding;
SQLite has no row locks, and the compare-and-set alone keeps the threads of its one validator apart.
Every later write (renewal, verdict, release) matches only while the lease is still the writer's: a
validator whose lease ran out and was taken over records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from ucs import events
from ucs.db.base import db
from ucs.db.models import File, MultipartUpload, utcnow
from ucs.operations.life_cycle import LEASE_CLEARED, MAX_REASON, audited, record_validation
from ucs.problems import Conflict
from ucs.uploads import UploadStatus

Upload = MultipartUpload


@dataclass(frozen=True)
class Expected:
    """What UCS recorded of an upload's object."""

    key: str
    size: int | None
    #: The registered SHA-256, else the client's claim, else None (then the computed one is recorded).
    sha256: str | None
    #: Where sha256 came from, for reasons: "registered" or "claimed by the client".
    sha256_source: str
    etag: str | None


@dataclass(frozen=True)
class Claim:
    """An object a validator holds the lease of: what to read and what it must match."""

    upload_id: str
    file_id: str
    expected: Expected
    #: True for a fixity re-check of an accepted object, False for the first validation.
    recheck: bool
    #: Reads of this object that ended without a verdict (the store was unavailable).
    attempts: int


def _lease_free(now: datetime):
    return or_(Upload.validation_lease_until.is_(None), Upload.validation_lease_until < now)


def _due(now: datetime):
    return or_(Upload.next_validation_at.is_(None), Upload.next_validation_at <= now)


def _wanted(recheck_before: datetime | None):
    if recheck_before is None:
        return Upload.upload_status == UploadStatus.UPLOADED
    return and_(
        Upload.upload_status == UploadStatus.ACCEPTED,
        Upload.fixity_failed_at.is_(None),
        or_(Upload.fixity_checked_at.is_(None), Upload.fixity_checked_at < recheck_before),
    )


def claim(owner: str, lease: float, recheck_before: datetime | None = None) -> Claim | None:
    """Lease the next object to check, or None when none is waiting (and free, and due).

    Without recheck_before: the oldest uploaded upload. With it: an accepted one whose bytes were last
    found intact before then (or never, by UCS), that has no fixity failure recorded.
    """
    for _ in range(3):  # another thread of this validator may win a candidate; try the next one
        now = utcnow()
        wanted, free, due = _wanted(recheck_before), _lease_free(now), _due(now)
        order = (
            Upload.updated_at
            if recheck_before is None
            else func.coalesce(Upload.fixity_checked_at, Upload.updated_at)
        )
        candidate = db.session.scalars(
            select(Upload.s3_upload_id)
            .where(wanted, free, due)
            .order_by(order)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if candidate is None:
            db.session.rollback()
            return None
        won = db.session.execute(
            update(Upload)
            .where(Upload.s3_upload_id == candidate, wanted, free)
            .values(
                validation_lease_owner=owner,
                validation_lease_until=now + timedelta(seconds=lease),
                validation_progress=0,
                updated_at=Upload.updated_at,  # a lease is not a change of the upload
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if won == 1:
            upload = db.session.get(Upload, candidate, populate_existing=True)
            claimed = _claim_of(upload, recheck_before is not None)
            db.session.commit()
            return claimed
        db.session.rollback()
    return None


def _claim_of(upload: Upload, recheck: bool) -> Claim:
    file: File = upload.file
    if recheck:  # the SHA-256 the verdict recorded (the validator's), else the registered one
        sha256, source = upload.sha256 or file.sha256, "recorded at acceptance"
        size = upload.size
    elif file.sha256 is not None:
        sha256, source = file.sha256, "registered"
        size = file.size if file.size is not None else upload.size
    else:
        sha256, source = upload.sha256, "claimed by the client"
        size = file.size if file.size is not None else upload.size
    expected = Expected(key=upload.key, size=size, sha256=sha256, sha256_source=source, etag=upload.etag)
    return Claim(upload.s3_upload_id, upload.file_id, expected, recheck, upload.validation_attempts)


def _mine(claimed: Claim, owner: str):
    return and_(Upload.s3_upload_id == claimed.upload_id, Upload.validation_lease_owner == owner)


def _update_if_mine(claimed: Claim, owner: str, **values) -> bool:
    """Write values while the lease is owner's, keeping updated_at unless values set it (a lease is not a
    change of the upload); False when it is not owner's (taken over). The caller commits."""
    changed = db.session.execute(
        update(Upload)
        .where(_mine(claimed, owner))
        .values(**{"updated_at": Upload.updated_at, **values})
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1


def _write_if_mine(claimed: Claim, owner: str, **values) -> bool:
    """_update_if_mine, committed."""
    mine = _update_if_mine(claimed, owner, **values)
    db.session.commit()
    return mine


def renew(claimed: Claim, owner: str, lease: float, progress: int) -> bool:
    """Extend the lease and note the bytes read so far; False when the lease is no longer ours."""
    until = utcnow() + timedelta(seconds=lease)
    return _write_if_mine(claimed, owner, validation_lease_until=until, validation_progress=progress)


def release(claimed: Claim, owner: str, retry_in: float | None = None) -> bool:
    """Give the object back unjudged: at once (a graceful stop), or after an outage, due again in retry_in
    seconds with one more attempt counted."""
    values = dict(LEASE_CLEARED)
    if retry_in is not None:
        values["next_validation_at"] = utcnow() + timedelta(seconds=retry_in)
        values["validation_attempts"] = Upload.validation_attempts + 1
    return _write_if_mine(claimed, owner, **values)


def judge(
    claimed: Claim, owner: str, validator: str, accepted: bool, reason: str | None, sha256: str | None
) -> bool:
    """Record the verdict on a claimed upload with its event; False when the lease was lost meanwhile."""
    outcome = UploadStatus.ACCEPTED if accepted else UploadStatus.REJECTED
    try:
        record_validation(claimed.upload_id, outcome, reason, validator, sha256=sha256, lease_owner=owner)
    except Conflict:
        return False  # judged by another validator, or by an external verdict, since our claim
    db.session.commit()
    return True


def record_fixity(claimed: Claim, owner: str, validator: str, reason: str | None) -> bool:
    """Record a re-check: intact (reason None) or a fixity failure, with its file.fixity_failed event."""
    now = utcnow()
    values = {**LEASE_CLEARED, "next_validation_at": None, "fixity_checked_at": now}
    if reason is not None:
        values.update(fixity_failed_at=now, fixity_reason=reason[:MAX_REASON], updated_at=now)
        if not _update_if_mine(claimed, owner, **values):
            db.session.rollback()
            return False
        events.record(
            events.FixityFailed(
                file_id=claimed.file_id,
                upload_id=claimed.upload_id,
                key=claimed.expected.key,
                reason=reason[:MAX_REASON],
                checked_by=audited(validator),
                checked_at=now.isoformat(),
            )
        )
        db.session.commit()
        return True
    return _write_if_mine(claimed, owner, **values)


def leased(recheck_before: datetime | None = None) -> bool:
    """True while an object of this kind is leased by a validator (this one's threads included): a run
    with --once waits for those leases to end, a killed validator's included, before it stops."""
    found = db.session.scalar(
        select(func.count())
        .select_from(Upload)
        .where(_wanted(recheck_before), Upload.validation_lease_until >= utcnow())
    )
    db.session.rollback()
    return bool(found)

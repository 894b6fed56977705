"""Typed SQLAlchemy 2.x models: files, their multipart uploads (docs/architecture.md) and the event outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ucs.db.base import db
from ucs.uploads import ACTIVE_STATUSES, UploadStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


# SQLite has no time zones: keep aware datetimes in and out on both databases.
Timestamp = DateTime(timezone=True)

_active_values = ", ".join(f"'{s.value}'" for s in sorted(ACTIVE_STATUSES))
ACTIVE_UPLOAD_PREDICATE = db.text(f"upload_status IN ({_active_values})")


class File(db.Model):
    __tablename__ = "files"

    file_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # The latest upload attempt. Not a foreign key: the two tables would reference each other.
    s3_upload_id: Mapped[str | None] = mapped_column(String(1024), unique=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    uploads: Mapped[list[MultipartUpload]] = relationship(
        back_populates="file", order_by="MultipartUpload.created_at"
    )


class MultipartUpload(db.Model):
    __tablename__ = "multipart_uploads"
    __table_args__ = (
        # At most one pending/uploaded/accepted upload per file, enforced by the database across servers.
        Index(
            "uq_multipart_uploads_one_active_per_file",
            "file_id",
            unique=True,
            postgresql_where=ACTIVE_UPLOAD_PREDICATE,
            sqlite_where=ACTIVE_UPLOAD_PREDICATE,
        ),
    )

    s3_upload_id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("files.file_id"), index=True)
    upload_status: Mapped[UploadStatus] = mapped_column(
        Enum(
            UploadStatus,
            name="upload_status",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda statuses: [s.value for s in statuses],
        ),
        default=UploadStatus.PENDING,
        index=True,  # validators look for uploaded ones
    )
    part_size: Mapped[int] = mapped_column(BigInteger)
    # Size announced when the upload started, if any (the file's registered size wins when both exist).
    size: Mapped[int | None] = mapped_column(BigInteger)
    backend: Mapped[str] = mapped_column(String(64))
    bucket: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(1024))
    # Set on completion: what the client reported and what the store returned.
    sha256: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(String(128))
    parts_fingerprint: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(1024))
    # Validation (docs/validation.md). The lease: which validator reads the object, until when.
    validation_lease_owner: Mapped[str | None] = mapped_column(String(255))
    validation_lease_until: Mapped[datetime | None] = mapped_column(Timestamp)
    # Reads that ended without a verdict (the store unavailable), and when the next one may start.
    validation_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_validation_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Bytes read so far by the check under way (updated with each lease renewal), for progress.
    validation_progress: Mapped[int | None] = mapped_column(BigInteger)
    # The verdict: when, and by which validator (its id, or the consumer for an external verdict).
    validated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    validated_by: Mapped[str | None] = mapped_column(String(255))
    # Fixity: when the bytes were last read and found intact; a failure, once found, stays recorded.
    fixity_checked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    fixity_failed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    fixity_reason: Mapped[str | None] = mapped_column(String(1024))
    # Audit: the token subjects that started the upload and that completed or canceled it.
    started_by: Mapped[str | None] = mapped_column(String(255))
    ended_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    file: Mapped[File] = relationship(back_populates="uploads")


class OutboxEvent(db.Model):
    """An event waiting to be published; written in the same transaction as the change it reports."""

    __tablename__ = "outbox_events"

    # The integer id orders the events; event_id is what consumers see.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column(Timestamp, index=True)


class ProcessedEvent(db.Model):
    """Ids of consumed events, so a redelivered event changes nothing."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    processed_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

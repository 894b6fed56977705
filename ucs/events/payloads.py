"""What each event carries: the payloads UCS publishes, built typed, and those it consumes, checked.

docs/events.md is the contract. Published payloads only ever gain fields, so consumers written before
keep working; consumed ones ignore unknown fields, so producers may add some.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import marshmallow as ma

from ucs.fields import sha256_field, size_field
from ucs.uploads import FILE_ID_RULE, UploadStatus, is_valid_file_id

# Published by UCS: the three ways out of pending.
UPLOAD_RECEIVED = "file.upload_received"
UPLOAD_CANCELED = "file.upload_canceled"
UPLOAD_FAILED = "file.upload_failed"
# Published by UCS: every verdict, whoever gave it (UCS's validator or an external one), and fixity failures.
UPLOAD_ACCEPTED = "file.upload_accepted"
UPLOAD_REJECTED = "file.upload_rejected"
FIXITY_FAILED = "file.fixity_failed"
# Consumed by UCS.
FILE_REGISTERED = "file.registered"
UPLOAD_VALIDATED = "file.upload_validated"

CONSUMED_TYPES = (FILE_REGISTERED, UPLOAD_VALIDATED)


@dataclass(frozen=True)
class PublishedPayload:
    """The payload of an event UCS publishes; each subclass names its event type and adds its fields."""

    type: ClassVar[str]

    file_id: str
    upload_id: str

    def to_payload(self) -> dict[str, Any]:
        """The JSON object stored in the outbox, fields in the order docs/events.md lists them."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class UploadReceived(PublishedPayload):
    """The upload completed: its object is in the store (status uploaded)."""

    type: ClassVar[str] = UPLOAD_RECEIVED

    backend: str
    bucket: str
    key: str
    size: int
    sha256: str | None
    etag: str
    actor: str


@dataclass(frozen=True)
class UploadEnded(PublishedPayload):
    """A pending upload ended without an object, for the reason given, by the actor's request."""

    reason: str | None
    actor: str


@dataclass(frozen=True)
class UploadCanceled(UploadEnded):
    type: ClassVar[str] = UPLOAD_CANCELED


@dataclass(frozen=True)
class UploadFailed(UploadEnded):
    type: ClassVar[str] = UPLOAD_FAILED


@dataclass(frozen=True)
class UploadJudged(PublishedPayload):
    """A verdict recorded: the object's size, SHA-256 and ETag, why it was rejected, who judged it and when."""

    size: int | None
    sha256: str | None
    etag: str | None
    reason: str | None
    validated_by: str
    validated_at: str


@dataclass(frozen=True)
class UploadAccepted(UploadJudged):
    type: ClassVar[str] = UPLOAD_ACCEPTED


@dataclass(frozen=True)
class UploadRejected(UploadJudged):
    type: ClassVar[str] = UPLOAD_REJECTED


@dataclass(frozen=True)
class FixityFailed(PublishedPayload):
    """An accepted object read again no longer matches: UCS stops serving it."""

    type: ClassVar[str] = FIXITY_FAILED

    key: str
    reason: str
    checked_by: str
    checked_at: str


class FileRegisteredSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    file_id = ma.fields.String(required=True)
    size = size_field(load_default=None, allow_none=True)
    sha256 = sha256_field(load_default=None, allow_none=True)

    @ma.validates("file_id")
    def check_file_id(self, file_id: str, **_kwargs) -> None:
        if not is_valid_file_id(file_id):
            raise ma.ValidationError(f"invalid file_id: a file_id is {FILE_ID_RULE}")


class UploadValidatedSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    upload_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1024))
    outcome = ma.fields.Enum(
        UploadStatus,
        by_value=True,
        required=True,
        validate=ma.validate.OneOf([UploadStatus.ACCEPTED, UploadStatus.REJECTED]),
    )
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=1024))


CONSUMED_SCHEMAS: dict[str, type[ma.Schema]] = {
    FILE_REGISTERED: FileRegisteredSchema,
    UPLOAD_VALIDATED: UploadValidatedSchema,
}

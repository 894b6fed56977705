"""Completing an upload: the listed parts checked against the store, the object joined, the upload recorded.

A completion that does not match the store fails the upload (its parts are discarded and the reason is
published, through ucs.operations.life_cycle.end_upload as a cancel is); a repeat of the completion that worked
changes nothing. A joined object the store reports with another size than its parts hold is recorded as
nothing (StoreContradicts, a 502): the upload stays pending. One database transaction each.
"""

from __future__ import annotations

from collections.abc import Sequence

from ucs import events
from ucs.db.base import db
from ucs.db.models import MultipartUpload
from ucs.db.queries import get_upload
from ucs.operations.life_cycle import (
    END_EVENTS,
    audited,
    change_status,
    discard_quietly,
    end_upload,
    require_pending,
    why_ended,
)
from ucs.problems import CompletionRefused, Conflict
from ucs.storage import InvalidParts, ObjectNotFound, StorageBackend, StoreContradicts, UploadNotFound
from ucs.uploads import COMPLETED_STATUSES, ListedPart, UploadStatus, check_completion, parts_fingerprint


def complete_upload(
    storage: StorageBackend, upload_id: str, parts: Sequence[ListedPart], sha256: str | None, actor: str
) -> MultipartUpload:
    """Complete the upload in the store after checking the listed parts against it.

    A request that does not match the store fails the upload (status failed, store upload aborted) and
    raises CompletionRefused with the reason. A repeat of the request that completed it changes nothing.
    """
    upload = get_upload(upload_id, for_update=True)
    fingerprint = parts_fingerprint(parts)
    repeated = upload.parts_fingerprint == fingerprint and sha256 in (None, upload.sha256)
    if upload.upload_status in COMPLETED_STATUSES and repeated:
        return upload  # the retry of a completion that worked, even if a validator has judged it since
    require_pending(upload)

    file = upload.file
    expected_size = file.size if file.size is not None else upload.size
    try:
        if sha256 is not None and file.sha256 is not None and sha256 != file.sha256:
            raise CompletionRefused(f"sha256 {sha256} differs from the registered sha256 {file.sha256}")
        etag, joined_size = _assemble(storage, upload, parts, expected_size)
    except (CompletionRefused, InvalidParts) as refusal:
        _fail(storage, upload, str(refusal), actor)
        raise CompletionRefused(str(refusal)) from None

    try:
        info = storage.head_object(upload.key)
    except ObjectNotFound:
        raise _removed_meanwhile(upload_id) from None
    _check_joined_size(info.size, joined_size)
    try:
        change_status(
            upload,
            UploadStatus.UPLOADED,
            actor,
            ended_by=audited(actor),
            etag=etag,
            size=info.size,
            sha256=sha256,
            parts_fingerprint=fingerprint,
        )
    except Conflict:
        # A concurrent identical request completed it first: answer as for any repeat.
        upload = get_upload(upload_id)
        if upload.upload_status in COMPLETED_STATUSES and upload.parts_fingerprint == fingerprint:
            return upload
        if upload.upload_status in END_EVENTS:
            # A cancel (or a failed completion) ended it while the store joined the object: its discard
            # found no object yet, so this request removes the one it joined.
            discard_quietly(storage, upload.key, upload.s3_upload_id)
        raise
    events.record(
        events.UploadReceived(
            file_id=upload.file_id,
            upload_id=upload.s3_upload_id,
            backend=upload.backend,
            bucket=upload.bucket,
            key=upload.key,
            size=info.size,
            sha256=sha256 or file.sha256,
            etag=etag,
            actor=actor,
        )
    )
    db.session.commit()
    return upload


def _assemble(
    storage: StorageBackend, upload: MultipartUpload, parts: Sequence[ListedPart], expected_size: int | None
) -> tuple[str, int | None]:
    """Check the listed parts with the store and complete the object.

    Returns its ETag and the size it must have: its parts' total, or the registered size when an earlier
    attempt completed it (None when neither is known).
    """
    try:
        stored = storage.list_parts(upload.key, upload.s3_upload_id)
        check_completion(parts, stored, expected_size)
        sizes = {part.part_no: part.size for part in stored}
        etag = storage.complete_multipart_upload(
            upload.key, upload.s3_upload_id, [(p.part_no, p.etag) for p in parts]
        )
        return etag, sum(sizes[p.part_no] for p in parts)
    except UploadNotFound:
        pass
    # Each upload has a key of its own, so an object under it means an earlier attempt completed the upload
    # and only its answer (or our commit) was lost. Otherwise the store dropped the unfinished upload.
    try:
        info = storage.head_object(upload.key)
    except ObjectNotFound:
        raise CompletionRefused(
            "the store no longer holds this multipart upload (expired or aborted): start a new upload"
        ) from None
    return info.etag, expected_size


def _check_joined_size(reported: int, joined_size: int | None) -> None:
    """Refuse to record an object whose size, as the store reports it, is not what its parts hold.

    Raises StoreContradicts (502), which leaves the upload pending rather than failing it: UCS cannot tell
    a wrong answer (a proxy, a store bug) from a wrong object, and failing would discard an object that may
    be whole. A completion sent again asks again; a cancel discards the object.
    """
    if joined_size is not None and reported != joined_size:
        raise StoreContradicts(
            f"it reports {reported} bytes for the joined object, but its parts hold {joined_size}; the "
            "upload stays pending: complete it again later, or cancel it and start a new one"
        )


def _fail(storage: StorageBackend, upload: MultipartUpload, reason: str, actor: str) -> None:
    """End the upload as failed, as a cancel ends it, unless another request ended or completed it first."""
    try:
        end_upload(storage, upload, UploadStatus.FAILED, reason, actor)
    except Conflict:
        first = get_upload(upload.s3_upload_id)
        if first.upload_status is not UploadStatus.FAILED:  # canceled or completed: this request lost
            raise _lost_to(first) from None
        # Another completion, refused as well, failed it first: typically two clients sending different
        # bytes to one upload, each overwriting the other's parts.
        raise CompletionRefused(
            f"{reason}; meanwhile another request failed upload {upload.s3_upload_id} ({first.reason}): "
            f"two clients may have been uploading to file {upload.file_id!r} at once"
        ) from None


def _lost_to(upload: MultipartUpload) -> Conflict:
    """The refusal of a completion that another request's change of the upload overtook."""
    return Conflict(
        f"upload {upload.s3_upload_id} became {upload.upload_status.value} meanwhile{why_ended(upload)}, "
        "so it cannot be completed"
    )


def _removed_meanwhile(upload_id: str) -> Exception:
    """The exception for an object gone right after this request joined it.

    A cancel ended the upload and removed the object (Conflict), or the store lost it (StoreContradicts:
    the upload stays pending).
    """
    db.session.rollback()
    upload = get_upload(upload_id)
    if upload.upload_status is UploadStatus.PENDING:
        return StoreContradicts(
            "it completed the upload but holds no object under its key; the upload stays pending"
        )
    return _lost_to(upload)

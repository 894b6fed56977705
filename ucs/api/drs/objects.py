"""Which files are DRS objects, and what DRS says about one: its DrsObject, access URL and authorizations.

A DRS object is a file whose upload UCS completed and checked against the store: its latest upload is
`uploaded` or `accepted` (only `accepted` with UCS_DRS_ACCEPTED_ONLY). Its id is the file id. Reading
these needs no request: the callers pass the host, the acting subject and the store.
"""

from __future__ import annotations

import logging

from ucs.auth.verify import TokenVerifier
from ucs.db import queries
from ucs.db.base import db
from ucs.db.models import File, MultipartUpload
from ucs.problems import NotFound
from ucs.storage import StorageBackend
from ucs.uploads import UploadStatus

log = logging.getLogger(__name__)

# Every object has one access method: an https GET of a presigned URL, minted when it is asked for.
ACCESS_METHOD = "https"
ACCESS_ID = "https"


class NotAnObject(NotFound):
    """No DRS object has this id, or its file has no bytes DRS may serve (yet); the message says which."""


def object_upload(file_id: str, accepted_only: bool) -> MultipartUpload:
    """The upload whose object the DRS object file_id is; NotAnObject, saying why, when there is none."""
    file = db.session.get(File, file_id)
    if file is None:
        raise NotAnObject(f"no DRS object {file_id!r}: no file with this id is registered")
    visible = {UploadStatus.ACCEPTED} if accepted_only else {UploadStatus.UPLOADED, UploadStatus.ACCEPTED}
    # At most one upload per file is pending, uploaded or accepted, and it is the latest (ucs/uploads.py).
    active = queries.active_upload(file_id)
    if active is not None and active.upload_status in visible:
        return active
    raise NotAnObject(f"DRS object {file_id!r} is not available: {_why_not(file, active)}")


def _why_not(file: File, active: MultipartUpload | None) -> str:
    if active is not None and active.upload_status is UploadStatus.PENDING:
        return "it is still being uploaded"
    if active is not None:  # uploaded, while only accepted uploads are served
        return "its upload awaits validation"
    if file.uploads and file.uploads[-1].upload_status is UploadStatus.REJECTED:
        return "its upload was rejected by validation"
    return "it has not been uploaded"


def drs_object(upload: MultipartUpload, hostname: str, authorizations: dict) -> dict:
    """The DrsObject of a file's served upload (dates as datetimes, for the schema to format)."""
    etag = (upload.etag or "").strip('"')
    sha256 = upload.sha256 or upload.file.sha256
    # DRS needs one checksum at least; a file completed without a SHA-256 has only the store's ETag.
    checksums = [{"type": "sha-256", "checksum": sha256}] if sha256 else [{"type": "etag", "checksum": etag}]
    return {
        "id": upload.file_id,
        "name": upload.file_id,
        "self_uri": f"drs://{hostname}/{upload.file_id}",
        "size": upload.size,
        "created_time": upload.created_at,
        "updated_time": upload.updated_at,
        "version": etag,
        "checksums": checksums,
        "access_methods": [{"type": ACCESS_METHOD, "access_id": ACCESS_ID, "authorizations": authorizations}],
    }


def access_url(
    storage: StorageBackend, upload: MultipartUpload, access_id: str, expiry: int, subject: str
) -> dict:
    """A fresh presigned URL of the object, {url, headers}; each one is logged with who asked (never the URL)."""
    if access_id != ACCESS_ID:
        shown = access_id if len(access_id) <= 40 else access_id[:40] + "..."
        raise NotAnObject(
            f"DRS object {upload.file_id!r} has no access method {shown!r}; its access_id is {ACCESS_ID!r}"
        )
    request = storage.presign_download(upload.key, expiry)
    log.info(
        "DRS access URL of object %s (upload %s) for %s, valid %d s",
        upload.file_id,
        upload.s3_upload_id,
        subject,
        expiry,
    )
    return {"url": request.url, "headers": [f"{name}: {value}" for name, value in request.headers.items()]}


def authorizations(verifier: TokenVerifier | None, object_id: str | None = None) -> dict:
    """How to authorize DRS requests: bearer tokens of the trusted issuers (none at all when auth is off)."""
    answer = {} if object_id is None else {"drs_object_id": object_id}
    if verifier is None:
        return {**answer, "supported_types": ["None"]}
    return {**answer, "supported_types": ["BearerAuth"], "bearer_auth_issuers": sorted(verifier.sources)}

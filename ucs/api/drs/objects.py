"""Which files are DRS objects, and what DRS says about one: its DrsObject, access URL and authorizations.

A DRS object is a file whose object downloads serve too (ucs/operations/serving.py): its upload is
`accepted`, or `uploaded` as well unless UCS_ACCEPTED_ONLY, and no fixity failure is recorded. Its id is
the file id. Reading these needs no request: the callers pass the host, the acting subject and the store.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from ucs.auth.verify import TokenVerifier
from ucs.db.models import MultipartUpload
from ucs.operations.serving import NotServed, served_upload
from ucs.problems import NotFound, VerdictPending
from ucs.storage import StorageBackend
from ucs.uploads import UploadStatus

log = logging.getLogger(__name__)

# Every object has one access method: an https GET of a presigned URL, minted when it is asked for.
ACCESS_METHOD = "https"
ACCESS_ID = "https"


class NotAnObject(NotFound):
    """No DRS object has this id, or its file has no bytes DRS may serve (yet); the message says which."""


class ObjectPending(NotAnObject):
    """The object's upload awaits its verdict: GET object and access answer 202 with Retry-After, as DRS
    defines for "not ready yet"; in a bulk answer the object is unresolved (404)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def object_upload(file_id: str, served: Collection[UploadStatus], retry_after: int) -> MultipartUpload:
    """The upload whose object the DRS object file_id is; NotAnObject, saying why, when there is none."""
    try:
        return served_upload(file_id, served, retry_after)
    except NotFound:
        raise NotAnObject(f"no DRS object {file_id!r}: no file with this id is registered") from None
    except VerdictPending as pending:
        raise ObjectPending(
            f"DRS object {file_id!r} is being validated: its upload awaits its verdict; ask again in "
            f"{pending.retry_after} s",
            pending.retry_after,
        ) from None
    except NotServed as refusal:
        raise NotAnObject(f"DRS object {file_id!r} is not available: {refusal.why}") from None


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

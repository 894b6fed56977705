"""What the boto3 and minio backends share: S3 error codes as neutral exceptions, ETags, part listings."""

from collections.abc import Iterable
from datetime import datetime

from ucs.storage import (
    InvalidParts,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    StoredPart,
    UploadNotFound,
)

# Codes that mean the client's part list does not fit what was uploaded.
INVALID_PARTS_CODES = frozenset(
    {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidRequest", "MalformedXML"}
)
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def neutral_error(what: str, code: str, message: str, status: int) -> StorageError:
    """The ucs.storage exception for an S3 error answer to the operation described by what."""
    if code == "NoSuchBucket":
        return StorageUnavailable(f"{what}: the bucket does not exist")
    if code == "NoSuchUpload":
        return UploadNotFound(f"{what}: the store has no such multipart upload")
    if code in NOT_FOUND_CODES:
        return ObjectNotFound(f"{what}: no such object")
    if code in INVALID_PARTS_CODES:
        return InvalidParts(f"{what}: {code}: {message}")
    if status >= 500:
        return StorageUnavailable(f"{what}: the store answered {status} {code}")
    return StorageError(f"{what}: {code}: {message}")


# SigV4 signatures are valid for at most 7 days.
MAX_EXPIRY = 7 * 24 * 3600


def check_expiry(expires_in: int) -> None:
    """Refuse an expiry the store would refuse when the URL is used."""
    if not 1 <= expires_in <= MAX_EXPIRY:
        raise StorageError(f"presigned URL expiry {expires_in} s is outside 1..{MAX_EXPIRY} s (7 days)")


def quoted(etag: str) -> str:
    """ETags as S3 sends them: in double quotes (minio's SDK strips them)."""
    etag = etag.strip()
    return etag if etag.startswith('"') else f'"{etag}"'


def newest_copies(listing: Iterable[tuple[StoredPart, datetime | None]]) -> list[StoredPart]:
    """One entry per part number, in part order, from (part, last modified) pairs.

    AWS and MinIO list each part once. SeaweedFS lists every copy of a part that was sent more than once,
    in no fixed order, with timestamps of one-second resolution; the newest copy is kept, and on a tie the
    last one listed. Copies of a retried part usually hold the same bytes, so they agree on ETag and size.
    """
    newest: dict[int, tuple[StoredPart, datetime | None]] = {}
    for part, modified in listing:
        kept = newest.get(part.part_no)
        if kept is None or kept[1] is None or modified is None or modified >= kept[1]:
            newest[part.part_no] = (part, modified)
    return [newest[number][0] for number in sorted(newest)]

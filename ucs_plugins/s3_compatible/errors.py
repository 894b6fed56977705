"""S3 error answers as the neutral exceptions of ucs.storage, whichever SDK received them."""

from ucs.storage import (
    InvalidParts,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
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

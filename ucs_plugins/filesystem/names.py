"""The names the filesystem store accepts before they become paths: object keys and upload ids."""

import re

from ucs.storage import ObjectNotFound, UploadNotFound
from ucs.uploads import FILE_ID_PATTERN

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def checked_key(key: str) -> str:
    segments = key.split("/")
    if not 1 <= len(segments) <= 8 or not all(FILE_ID_PATTERN.fullmatch(s) for s in segments):
        raise ObjectNotFound(f"invalid object key {key[:80]!r}")
    return key


def checked_upload_id(upload_id: str) -> str:
    if not UPLOAD_ID.fullmatch(upload_id):
        raise UploadNotFound(f"invalid upload id {upload_id[:80]!r}")
    return upload_id

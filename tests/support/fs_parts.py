"""Parts for tests of the filesystem store: their MD5, and a part written from bytes."""

from __future__ import annotations

import hashlib
import io


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def store_part(backend, upload_id: str, part_no: int, data: bytes) -> str:
    return backend.write_part(upload_id, part_no, io.BytesIO(data), len(data))

"""A small file in three parts for the API tests, and what the filesystem store still holds of uploads."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNKS = [b"a" * 1000, b"b" * 1000, b"c" * 500]
DATA = b"".join(CHUNKS)
SHA256 = hashlib.sha256(DATA).hexdigest()


def store_uploads(app) -> list[str]:
    """The multipart uploads the filesystem store still holds (by upload id)."""
    return sorted(path.name for path in (Path(app.config["FILESYSTEM_ROOT"]) / "uploads").iterdir())

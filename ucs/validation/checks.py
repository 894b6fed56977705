"""The checks of a stored object against what UCS recorded (docs/validation.md): pure, no store, no database.

An object passes when its size is the registered one, its SHA-256 the registered one (or, where none was
registered, the one the client claimed at completion), and its ETag the one the store gave at completion,
so the object read is the object completed. A failed check's reason names the expected and actual values.
"""

from __future__ import annotations

from dataclasses import dataclass

from ucs.operations.validation import Expected
from ucs.storage import ObjectInfo
from ucs.uploads import normalize_etag

MISSING = "object missing"


@dataclass(frozen=True)
class Finding:
    """The outcome of the checks: intact or not, why not, and the SHA-256 computed (None if never read)."""

    intact: bool
    reason: str | None = None
    sha256: str | None = None


def size_problem(expected: Expected, info: ObjectInfo) -> str | None:
    """Why the object cannot pass whatever its bytes (a size that differs), or None; no need to read it."""
    return _size_mismatch(expected, info.size)


def _size_mismatch(expected: Expected, size: int) -> str | None:
    if expected.size is not None and size != expected.size:
        return f"size expected {expected.size} bytes, got {size}"
    return None


def check_object(expected: Expected, size: int, sha256: str, etag: str) -> Finding:
    """Compare an object read to the end (its size, computed SHA-256 and ETag) with what was recorded."""
    problems = [problem] if (problem := _size_mismatch(expected, size)) else []
    if expected.sha256 is not None and sha256 != expected.sha256:
        problems.append(f"sha256 expected {expected.sha256} ({expected.sha256_source}), got {sha256}")
    if expected.etag is not None and normalize_etag(etag) != normalize_etag(expected.etag):
        problems.append(
            f"etag expected {normalize_etag(expected.etag)}, got {normalize_etag(etag)}: "
            "the object is not the one completed"
        )
    if problems:
        return Finding(False, "; ".join(problems), sha256)
    return Finding(True, None, sha256)


def missing(expected: Expected) -> Finding:
    return Finding(False, f"{MISSING}: the store holds nothing under {expected.key}")

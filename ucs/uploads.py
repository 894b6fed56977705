"""The upload state machine and the part-size rule.

Pure domain code: no Flask, no database session, no object-store SDK. The API and the event consumer
call these functions so that every path through the system obeys the same rules; ucs/operations/life_cycle.py
applies the state machine to stored uploads. The refusals raised here are in ucs/problems.py.
"""

from __future__ import annotations

import enum
import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ucs.problems import CompletionRefused, FileTooLarge, InvalidTransition

MiB = 1024 * 1024
GiB = 1024 * MiB

# S3's multipart limits, shared by every S3-compatible store.
MAX_PARTS = 10_000
MAX_PART_SIZE = 5 * GiB
MAX_FILE_SIZE = MAX_PARTS * MAX_PART_SIZE

FILE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9._\-]{0,127}$")
FILE_ID_RULE = "1 to 128 of A-Z a-z 0-9 . _ -, not starting with a dot"


class UploadStatus(enum.StrEnum):
    PENDING = "pending"
    CANCELED = "canceled"
    FAILED = "failed"
    UPLOADED = "uploaded"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


# At most one upload per file may be in one of these states (the database enforces it).
ACTIVE_STATUSES = frozenset({UploadStatus.PENDING, UploadStatus.UPLOADED, UploadStatus.ACCEPTED})
# Uploads whose object was assembled in the store, whatever a validator said about it since.
COMPLETED_STATUSES = frozenset({UploadStatus.UPLOADED, UploadStatus.ACCEPTED, UploadStatus.REJECTED})

TRANSITIONS: dict[UploadStatus, frozenset[UploadStatus]] = {
    UploadStatus.PENDING: frozenset({UploadStatus.UPLOADED, UploadStatus.CANCELED, UploadStatus.FAILED}),
    UploadStatus.UPLOADED: frozenset({UploadStatus.ACCEPTED, UploadStatus.REJECTED}),
}

# The original specification spells the request "cancelled" and the stored status "canceled": accept both.
REQUESTED_STATUS_ALIASES = {
    "uploaded": UploadStatus.UPLOADED,
    "canceled": UploadStatus.CANCELED,
    "cancelled": UploadStatus.CANCELED,
}


def is_valid_file_id(file_id: str) -> bool:
    return bool(FILE_ID_PATTERN.fullmatch(file_id))


def transition(current: UploadStatus, target: UploadStatus) -> UploadStatus:
    """Return the new status, or raise InvalidTransition when the state machine forbids the move."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(current, target)
    return target


def part_size_for(size: int | None, default_part_size: int = 16 * MiB) -> int:
    """The part size for a file: the default, or the smallest whole MiB keeping it within 10,000 parts.

    Raises FileTooLarge when even 5 GiB parts cannot hold the file.
    """
    if size is None or size <= default_part_size * MAX_PARTS:
        return default_part_size
    if size > MAX_FILE_SIZE:
        raise FileTooLarge(
            f"file of {size} bytes is larger than the largest multipart upload "
            f"({MAX_PARTS} parts of {MAX_PART_SIZE} bytes = {MAX_FILE_SIZE} bytes)"
        )
    return math.ceil(size / MAX_PARTS / MiB) * MiB


@dataclass(frozen=True)
class ListedPart:
    part_no: int
    etag: str


def normalize_etag(etag: str) -> str:
    """ETags compare without their quotes: stores return '"abc"', clients often send 'abc'."""
    return etag.strip().strip('"').lower()


def parts_fingerprint(parts: Iterable[ListedPart]) -> str:
    """A digest of a completion request, so a retried identical request can be recognised."""
    text = ",".join(f"{p.part_no}:{normalize_etag(p.etag)}" for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()


def check_completion(
    listed: Sequence[ListedPart],
    stored: Iterable,
    expected_size: int | None,
) -> None:
    """Check a client's part list against the parts the store reports (objects with part_no, etag, size).

    The listed parts must be numbered 1..N without gaps, each stored with that ETag, and when the file's
    size is known the parts must add up to it. Raises CompletionRefused with the first problem found.
    """
    if not listed:
        raise CompletionRefused("no parts were listed")
    numbers = [p.part_no for p in listed]
    missing_numbers = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    if missing_numbers:
        raise CompletionRefused(
            f"parts must be numbered 1..{max(numbers)} without gaps; missing {_few(missing_numbers)}"
        )

    stored_by_no = {p.part_no: p for p in stored}
    not_stored = [p.part_no for p in listed if p.part_no not in stored_by_no]
    if not_stored:
        raise CompletionRefused(f"the store holds no part {_few(not_stored)}")
    wrong_etag = [p for p in listed if normalize_etag(stored_by_no[p.part_no].etag) != normalize_etag(p.etag)]
    if wrong_etag:
        part = wrong_etag[0]
        raise CompletionRefused(
            f"ETag mismatch for part {part.part_no}: listed {part.etag!r}, "
            f"stored {stored_by_no[part.part_no].etag!r}"
        )
    total = sum(stored_by_no[p.part_no].size for p in listed)
    if expected_size is not None and total != expected_size:
        raise CompletionRefused(
            f"the parts hold {total} bytes but the file is registered with {expected_size} bytes"
        )


def _few(numbers: Sequence[int], limit: int = 10) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")

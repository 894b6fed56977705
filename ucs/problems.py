"""What UCS refuses, as one exception hierarchy: the three kinds a caller can be told (docs/architecture.md).

Imports nothing at run time, so the pure domain (ucs/uploads.py) raises these too. ucs/api/errors.py maps each kind to its
HTTP status in one place; the event consumer dead-letters any of them. Each message is meant for the
person who made the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ucs.uploads import UploadStatus


class UploadError(Exception):
    """Base class of every refusal: the request cannot be applied as it stands."""


class NotFound(UploadError):
    """The file or upload named does not exist."""


class Conflict(UploadError):
    """The request is valid, but not in the state the file or upload is in now."""


class BadRequest(UploadError):
    """The request itself is wrong: no state of the file or upload would make it right."""


class InvalidTransition(Conflict):
    """The state machine (ucs.uploads.TRANSITIONS) does not allow this status change."""

    def __init__(self, current: UploadStatus, target: UploadStatus):
        super().__init__(f"upload is {current.value}; it cannot become {target.value}")
        self.current = current
        self.target = target


class FileTooLarge(BadRequest):
    """Even 10,000 parts of the largest part size cannot hold the file."""


class CompletionRefused(BadRequest):
    """The parts a client listed do not match what the store holds: the upload fails."""


class VerdictPending(Conflict):
    """The file's upload awaits its verdict (validation under way): ask again after retry_after seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after

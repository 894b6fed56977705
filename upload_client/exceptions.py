"""Everything that can go wrong in a transfer, in one flat list (as s3transfer's exceptions.py).

The first list is what a caller sees: each carries a one-line message for the user and the exit code it
means (documented in docs/client.md and in `upload-client --help`). The failures that come after retries
keep the last cause in `last_exception`, as s3transfer's RetriesExceededError does. The second list is
what one attempt at a part or range can run into: those are retried, and reach a caller only as the
`last_exception` of RetriesExceeded.
"""

from __future__ import annotations


class ClientError(Exception):
    """Base of every failure the command line reports as one line and an exit code."""

    exit_code = 1


class BadInput(ClientError):
    """The local file, the file id or the options cannot be used; nothing was changed on the server."""


class InvalidConfig(BadInput, ValueError):
    """A TransferConfig field is out of its range (the command line checks its options before)."""


class ApiError(ClientError):
    """UCS answered with an error; the message is UCS's own."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class AccessRefused(ClientError):
    """UCS refused the token (401: missing, invalid or expired) or its permission (403); get a new token."""

    exit_code = 6

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class UcsUnreachable(ClientError):
    """UCS did not answer (connection refused, timeout, DNS), even after retries."""

    exit_code = 4

    def __init__(self, message: str, last_exception: BaseException | None = None):
        super().__init__(message)
        #: The connection error of the last attempt, when there was one.
        self.last_exception = last_exception


class NotUcs(ClientError):
    """Something answered at the API URL, but not the way UCS does."""

    exit_code = 4


class TransferIncomplete(ClientError):
    """A part or range failed after its retries, or for good (a 4xx); what was stored is kept for a resume."""

    exit_code = 3


class RetriesExceeded(TransferIncomplete):
    """A part or range failed every attempt; last_exception is why the last one failed."""

    def __init__(self, message: str, last_exception: BaseException):
        super().__init__(message)
        #: The last attempt's error as raised; never printed, since its text may hold a presigned URL.
        self.last_exception = last_exception


class ObjectMissing(ClientError):
    """The store holds no object at the download URL: nothing to resume, so exit 1, not 3."""


class DiskFull(ClientError):
    """The disk holding a download is full; what was written is kept for a resume."""


class VerificationFailed(ClientError):
    """The bytes do not match their checksum."""

    exit_code = 5


class ObjectTruncated(VerificationFailed):
    """The stored object is shorter than the file UCS describes: no resume can bring the missing bytes."""


class SourceChanged(ClientError):
    """The file changed (written, resized, or another file renamed over it) while it was uploaded.

    The upload is not completed, since its parts and SHA-256 may mix bytes of two files; it stays pending.
    """

    exit_code = 7


class Interrupted(ClientError):
    """The user stopped the transfer (Ctrl-C or SIGTERM); it can be resumed."""

    exit_code = 130


class Rejected(ClientError):
    """UCS's validation rejected the upload: the stored bytes are not the file's (reason says how)."""

    exit_code = 8

    def __init__(self, message: str, reason: str | None):
        super().__init__(message)
        #: The validator's reason, with the expected and actual values.
        self.reason = reason


class StillValidating(ClientError):
    """The verdict on an upload did not come within the time the user allowed; it may still come."""

    exit_code = 9


class NotReady(ApiError):
    """The server has the file but asks to be asked again later (UCS's 409 or DRS's 202 with Retry-After):
    its upload awaits its verdict."""

    def __init__(self, status: int, message: str, retry_after: float | None):
        super().__init__(status, message)
        #: Seconds the server asked to wait before asking again; None when it named none.
        self.retry_after = retry_after


# What one attempt can run into, retried by the engine (upload_client.transfer).


class Transient(Exception):
    """An attempt failed in a way that another attempt may fix."""


class UrlRefused(Transient):
    """The store refused the presigned URL (403): it expired or was altered; ask UCS for a new one."""


class ChecksumMismatch(Transient):
    """The store's ETag is not the MD5 of the bytes sent, or a range came back short."""


def one_line(text: str) -> str:
    """A message on one line, as every failure is reported: runs of white space become one space."""
    return " ".join(text.split())

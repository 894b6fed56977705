"""The client's exceptions: each carries a one-line message for the user and the exit code it means.

Exit codes (documented in docs/client.md and in `upload-client --help`):
0 success; 1 bad input or UCS refused the request; 2 wrong usage of the command line; 3 the transfer
stopped: retries ran out or the store refused a part (resumable); 4 UCS unreachable or the URL is not UCS;
5 verification failed (checksums differ); 6 UCS refused the token or its permission (resumable with a new
token); 130 interrupted (resumable).
"""

from __future__ import annotations


class ClientError(Exception):
    """Base of every failure the command line reports as one line and an exit code."""

    exit_code = 1


class BadInput(ClientError):
    """The local file, the file id or the options cannot be used; nothing was changed on the server."""


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


class NotUcs(ClientError):
    """Something answered at the API URL, but not the way UCS does."""

    exit_code = 4


class TransferIncomplete(ClientError):
    """A part or range failed after its retries, or for good (a 4xx); what was stored is kept for a resume."""

    exit_code = 3


class DiskFull(ClientError):
    """The disk holding a download is full; what was written is kept for a resume."""


class VerificationFailed(ClientError):
    """The bytes do not match their checksum."""

    exit_code = 5


class Interrupted(ClientError):
    """The user stopped the transfer (Ctrl-C or SIGTERM); it can be resumed."""

    exit_code = 130

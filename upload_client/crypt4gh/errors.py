"""What can go wrong with Crypt4GH data, keys and key files.

Messages name the file, the segment or the problem, never key bytes or a passphrase: they may reach a log.
"""

from __future__ import annotations


class Crypt4GHError(ValueError):
    """Base of every Crypt4GH failure."""


class NotCrypt4GH(Crypt4GHError):
    """The bytes do not start with a Crypt4GH header (no `crypt4gh` magic)."""


class HeaderInvalid(Crypt4GHError):
    """A Crypt4GH header that cannot be read or used: truncated, another version, an unknown method."""


class NotForThisKey(Crypt4GHError):
    """No packet of the header was encrypted for the given secret key."""


class SegmentCorrupted(Crypt4GHError):
    """A segment failed its MAC check: tampered, truncated, or encrypted with another data key."""

    def __init__(self, message: str, segment: int):
        super().__init__(message)
        #: The segment's index in the file, from 0.
        self.segment = segment


class KeyFileError(Crypt4GHError):
    """A key file is missing, unreadable, or not a Crypt4GH key of the expected kind."""


class WrongPassphrase(KeyFileError):
    """The passphrase does not unlock the secret key file (or the file was altered)."""

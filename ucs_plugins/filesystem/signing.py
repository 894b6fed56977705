"""HMAC-SHA256 signatures for the filesystem store's presigned URLs, and the key they are made with."""

import contextlib
import hashlib
import hmac
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from upload_client.atomic_files import write_new


class SignatureRefused(Exception):
    """The URL was tampered with or has expired."""


class UrlSigner:
    def __init__(self, secret: bytes):
        self._secret = secret

    def _signature(self, method: str, key: str, upload_id: str, part_no: int, expires: int) -> str:
        message = "\n".join((method, key, upload_id, str(part_no), str(expires))).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, method: str, key: str, upload_id: str, part_no: int, expires: int) -> str:
        """The query string that authorises one request until the Unix time expires."""
        return urlencode(
            {"expires": expires, "signature": self._signature(method, key, upload_id, part_no, expires)}
        )

    def verify(
        self, method: str, key: str, upload_id: str, part_no: int, expires: str, signature: str
    ) -> None:
        # Unix times have at most 12 digits for millennia; longer ones would only burden int().
        if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
            raise SignatureRefused("the URL has no valid expiry")
        expected = self._signature(method, key, upload_id, part_no, int(expires))
        # compare_digest takes ASCII strings only; anything else cannot be our hex signature anyway.
        if not (signature.isascii() and hmac.compare_digest(expected, signature)):
            raise SignatureRefused(
                "the URL's signature does not match: it was altered or signed for another request"
            )
        if int(expires) < time.time():
            raise SignatureRefused("the URL has expired: ask UCS for a new one")


def instance_signing_key(root: Path) -> bytes:
    """A random key kept beside the store, created once, 0600 from the start; racing workers agree on one."""
    path = root / ".signing-key"
    if not path.exists():
        # FileExistsError: another worker made it first, so use theirs.
        with contextlib.suppress(FileExistsError):
            write_new(path, secrets.token_hex(32).encode(), mode=0o600)
    return path.read_bytes()

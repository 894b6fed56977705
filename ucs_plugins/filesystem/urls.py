"""The filesystem store's presigned URLs: UCS's own /storage routes, signed, on the address clients use."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import has_request_context, request
from werkzeug.exceptions import BadRequest

from ucs.storage import PresignedRequest, StorageError
from ucs_plugins.filesystem.signing import UrlSigner

# What a Host header may be for URLs to start with it: a name or IPv4 address, or an IPv6 literal, and a port.
HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


class PresignedUrls:
    """Makes the URLs routes.py serves; signatures cover method, key, upload id, part number and expiry."""

    def __init__(self, signer: UrlSigner, public_url: str | None = None):
        self.signer = signer
        self.public_url = public_url.rstrip("/") if public_url else None

    def make(self, method: str, key: str, upload_id: str, part_no: int, expires_in: int) -> PresignedRequest:
        # Signatures carry whole seconds: round up, so a URL never lives shorter than asked.
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
        if expires_at.microsecond:
            expires_at = expires_at.replace(microsecond=0) + timedelta(seconds=1)
        query = self.signer.sign(method, key, upload_id, part_no, int(expires_at.timestamp()))
        path = f"/storage/uploads/{upload_id}/{part_no}" if method == "PUT" else f"/storage/objects/{key}"
        return PresignedRequest(url=f"{self._base_url()}{path}?{query}", method=method, expires_at=expires_at)

    def _base_url(self) -> str:
        if self.public_url:
            return self.public_url
        # UCS serves this store itself, on the host the client used.
        if not has_request_context():
            raise StorageError(
                "set FILESYSTEM_PUBLIC_URL: outside a request UCS cannot tell the address clients use"
            )
        # A Host such as 'evil.example.com:80/x?' made 'http:/storage/...' (werkzeug, depending on its
        # version, passes it through or turns it into ''): no URL is built from one that is not host[:port].
        if not HOST.fullmatch(request.host):
            shown = request.headers.get("Host", "")[:80]
            raise BadRequest(
                f"the Host header {shown!r} is not a host name or address with an optional port, so UCS "
                "cannot build the store's URLs from it (an operator can set UCS_FILESYSTEM_PUBLIC_URL)"
            )
        return request.host_url.rstrip("/")

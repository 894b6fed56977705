"""Sending one part: a fresh presigned URL, the bytes streamed from disk, the store's ETag checked against MD5."""

from __future__ import annotations

import threading

from upload_client.api import UcsClient
from upload_client.exceptions import ChecksumMismatch, TransferIncomplete
from upload_client.http import check_store_answer
from upload_client.part_urls import PartUrls
from upload_client.parts import Part
from upload_client.streams import PartBody
from upload_client.transfer import TransferEngine


def normalize_etag(etag: str) -> str:
    """An ETag as the store's MD5 hex: without quotes, in lower case."""
    return etag.strip().strip('"').lower()


class PartSender:
    """Sends one part: a fresh presigned URL, the bytes streamed from disk, the ETag checked against MD5."""

    def __init__(self, api: UcsClient, engine: TransferEngine, fd: int, upload_id: str, urls: PartUrls):
        self.api = api
        self.engine = engine
        self.fd = fd
        self.upload_id = upload_id
        self.urls = urls
        self.stored = 0
        self._lock = threading.Lock()

    def __call__(self, part: Part) -> str:
        counter = self.engine.counter()
        what = f"part {part.number}"

        def attempt() -> str:
            request = self.urls.url(part.number)
            body = PartBody(self.fd, part, self.engine.config.chunk_size, self.engine.stop, counter)
            response = self.engine.store_sessions.get().request(
                request.get("method") or "PUT",
                request["url"],
                # requests sends an empty iterable chunked, which stores refuse: an empty part is b"".
                data=body if part.size else b"",
                headers=request.get("headers") or {},
                timeout=self.engine.config.store_timeout,
            )
            check_store_answer(response, what)
            etag = response.headers.get("ETag")
            if not etag:
                raise TransferIncomplete(
                    f"{what}: the store answered without an ETag, so the part cannot be verified"
                )
            if normalize_etag(etag) != body.md5.hexdigest():
                raise ChecksumMismatch(f"{what}: the store's ETag {etag} is not the MD5 of the bytes sent")
            return etag

        etag = self.engine.with_retries(what, attempt)
        with self._lock:
            self.stored += 1
        return etag

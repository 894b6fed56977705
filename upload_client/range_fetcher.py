"""Fetching one range of a download: a ranged GET from the presigned URL, written in place as it arrives."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from upload_client.arrival_hash import ArrivalHasher
from upload_client.exceptions import (
    ChecksumMismatch,
    ObjectMissing,
    ObjectTruncated,
    TransferIncomplete,
    UrlRefused,
)
from upload_client.http import check_store_answer
from upload_client.journal import Journal
from upload_client.os_files import write_all
from upload_client.parts import Part
from upload_client.sources import DownloadSource
from upload_client.transfer import TransferEngine


class DownloadUrl:
    """The presigned download URL, shared by the workers and renewed once when the store refuses it."""

    def __init__(self, source: DownloadSource, url: str):
        self.source = source
        self.url = url
        self._lock = threading.Lock()

    def renew(self, refused: str) -> None:
        with self._lock:
            if self.url == refused:  # another worker may have renewed it already
                self.url = self.source.fresh_url()


#: The total in a Content-Range answer: "bytes 0-99/1234" or, for a range past the end (416), "bytes */1234".
_TOTAL = re.compile(r"bytes (?:\d+-\d+|\*)/(\d+)")


class RangeFetcher:
    """Fetches one range with a ranged GET and writes it in place as it arrives."""

    def __init__(
        self,
        engine: TransferEngine,
        url: DownloadUrl,
        fd: int,
        path: Path,
        size: int,
        journal: Journal,
        hasher: ArrivalHasher,
    ):
        self.engine = engine
        self.url = url
        self.fd = fd
        self.path = path
        self.size = size
        self.journal = journal
        self.hasher = hasher

    def __call__(self, part: Part) -> None:
        counter = self.engine.counter()
        what = f"bytes {part.offset}-{part.end - 1}"

        def attempt() -> None:
            counter.restart()
            url = self.url.url
            # An empty object has no byte to ask for (bytes=0--1 is no range): ask for all of it.
            headers = {"Range": f"bytes={part.offset}-{part.end - 1}"} if part.size else {}
            session = self.engine.store_sessions.get()
            with session.get(
                url, headers=headers, stream=True, timeout=self.engine.config.store_timeout
            ) as response:
                if response.status_code == 404:
                    raise ObjectMissing(
                        f"the store holds no object for file {self.url.source.id!r} (its download URL answers "
                        "404): it was deleted, or UCS now uses another store"
                    )
                self._check_object_size(response)
                try:
                    check_store_answer(response, what)
                except UrlRefused:
                    self.url.renew(url)
                    raise
                whole = response.status_code == 200 and part.size == self.size
                if response.status_code != 206 and not whole:
                    raise TransferIncomplete(
                        f"{what}: the store ignored the Range header ({response.status_code})"
                    )
                position = part.offset
                for chunk in response.iter_content(self.engine.config.chunk_size):
                    self.engine.check_stop()
                    if position + len(chunk) > part.end:
                        raise ChecksumMismatch(f"{what}: the store sent more bytes than asked for")
                    write_all(self.fd, chunk, position, self.path)
                    self.hasher.offer(part, position, chunk)
                    position += len(chunk)
                    counter.advance(len(chunk))
            if position != part.end:
                raise ChecksumMismatch(f"{what}: the answer ended after {position - part.offset} bytes")

        self.engine.with_retries(what, attempt)
        self.journal.mark_done(part.number)

    def _check_object_size(self, response) -> None:
        """A store that reports another object size than UCS's (truncated, or replaced in the store) is not
        retried: no attempt brings the bytes back, so the download stops and says why."""
        match = _TOTAL.fullmatch(response.headers.get("Content-Range", "").strip())
        if response.status_code not in (206, 416) or not match or int(match.group(1)) == self.size:
            return
        stored = int(match.group(1))
        kind = "shorter" if stored < self.size else "longer"
        raise ObjectTruncated(
            f"the stored object of file {self.url.source.id!r} is {kind} than the file: the store holds "
            f"{stored} bytes, the file has {self.size}; it was truncated or replaced in the store, so no "
            "download can succeed until it is restored there (tell the archive)"
        )

"""Downloading a file: parallel ranged GETs written in place into PATH.part, resumable, verified by SHA-256.

PATH.part.json remembers which ranges are on disk and which object they belong to, so running the same
command again fetches only the missing ranges. PATH appears only once the SHA-256 matches. A download
holds an exclusive lock on PATH.part from start to end, so a second download to the same output cannot
truncate or overwrite ranges the first has already hashed.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from upload_client.api import UcsApi
from upload_client.errors import (
    ApiError,
    BadInput,
    ClientError,
    DiskFull,
    TransferIncomplete,
    VerificationFailed,
)
from upload_client.journal import Journal
from upload_client.output_file import (
    NO_SPACE,
    check_output,
    check_still_hashed,
    discard,
    lock_partial,
    publish,
    reserve_partial,
)
from upload_client.progress import human_size
from upload_client.streams import SequentialHasher
from upload_client.transfer import (
    ChecksumMismatch,
    Part,
    TransferEngine,
    UrlRefused,
    check_store_answer,
    split,
)


class ObjectMissing(ClientError):
    """The store holds no object at the download URL: nothing to resume, so exit 1, not 3."""


@dataclass
class DownloadReport:
    file_id: str
    path: str
    size: int
    seconds: float
    sha256: str
    reused_bytes: int
    retries: int
    #: False when UCS knows no SHA-256 for the file, so only the size could be checked.
    verified: bool


class DownloadUrl:
    """The presigned download URL, shared by the workers and renewed once when the store refuses it."""

    def __init__(self, api: UcsApi, file_id: str, url: str):
        self.api = api
        self.file_id = file_id
        self.url = url
        self._lock = threading.Lock()

    def renew(self, refused: str) -> None:
        with self._lock:
            if self.url == refused:  # another worker may have renewed it already
                self.url = self.api.download_info(self.file_id)["url"]


def write_all(fd: int, data: bytes, position: int, path: Path) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.pwrite(fd, view, position)
        except OSError as error:
            if error.errno in NO_SPACE:
                raise DiskFull(
                    f"the disk is full while writing {path}; free space and run the same command"
                ) from None
            raise ClientError(f"cannot write {path}: {error.strerror}") from None
        view = view[written:]
        position += written


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
    ):
        self.engine = engine
        self.url = url
        self.fd = fd
        self.path = path
        self.size = size
        self.journal = journal

    def __call__(self, part: Part) -> None:
        counter = self.engine.counter()
        what = f"bytes {part.offset}-{part.end - 1}"

        def attempt() -> None:
            counter.restart()
            url = self.url.url
            # An empty object has no byte to ask for (bytes=0--1 is no range): ask for all of it.
            headers = {"Range": f"bytes={part.offset}-{part.end - 1}"} if part.size else {}
            session = self.engine.store_sessions.get()
            with session.get(url, headers=headers, stream=True, timeout=self.engine.timeout) as response:
                if response.status_code == 404:
                    raise ObjectMissing(
                        f"the store holds no object for file {self.url.file_id!r} (its download URL answers "
                        "404): it was deleted, or UCS now uses another store"
                    )
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
                    position += len(chunk)
                    counter.advance(len(chunk))
            if position != part.end:
                raise ChecksumMismatch(f"{what}: the answer ended after {position - part.offset} bytes")

        self.engine.with_retries(what, attempt)
        self.journal.mark_done(part.number)  # the SHA-256 pass waits for this


class Downloader:
    def __init__(self, api: UcsApi, engine: TransferEngine):
        self.api = api
        self.engine = engine

    def download(self, file_id: str, output: str) -> DownloadReport:
        began = time.monotonic()
        target = Path(output)
        check_output(target)
        try:
            info = self.api.download_info(file_id)
        except ApiError as error:
            if error.status == 404:
                raise self.api.file_not_found(file_id) from None
            raise BadInput(str(error)) from None
        size = info["size"]
        partial = target.with_name(target.name + ".part")
        identity = {
            "etag": info.get("etag"),
            "size": size,
            "sha256": info.get("sha256"),
            "range_size": self.engine.config.download_range_size,
        }
        journal = Journal(target.with_name(target.name + ".part.json"), identity)
        fd = lock_partial(partial, target)
        try:
            # Resume only where the journal and PATH.part agree; the lock keeps them from changing under us.
            if not (journal.load() and os.fstat(fd).st_size == size):
                journal.forget()
            parts = split(size, self.engine.config.download_range_size)
            reused_bytes = sum(p.size for p in parts if p.number in journal.done)
            reserve_partial(fd, partial, size, fresh=not journal.done)
            try:
                sha256 = self._fetch(file_id, info["url"], fd, partial, parts, journal)
            except ObjectMissing as missing:
                discard(partial, journal)  # its ranges belong to an object that is gone
                raise ObjectMissing(f"{missing}; {partial} was removed") from None
            expected = info.get("sha256")
            if expected and sha256 != expected:
                discard(partial, journal)
                raise VerificationFailed(
                    f"the downloaded bytes have SHA-256 {sha256}, not {expected}; {partial} was removed"
                )
            check_still_hashed(fd, partial, size)
            publish(partial, target)
            journal.remove()
        finally:
            os.close(fd)  # releases the lock, only once PATH is published
        return DownloadReport(
            file_id,
            str(target),
            size,
            time.monotonic() - began,
            sha256,
            reused_bytes,
            self.engine.retries,
            verified=bool(expected),
        )

    def _fetch(
        self, file_id: str, url: str, fd: int, partial: Path, parts: list[Part], journal: Journal
    ) -> str:
        """Fetch the ranges not on disk yet and hash the file alongside; returns its SHA-256."""
        size = parts[-1].end
        chunk_size = self.engine.config.chunk_size
        hasher = SequentialHasher(partial, parts, chunk_size, self.engine.stop, journal.wait_for).start()
        download_url = DownloadUrl(self.api, file_id, url)
        fetcher = RangeFetcher(self.engine, download_url, fd, partial, size, journal)
        missing = [p for p in parts if p.number not in journal.done]
        on_disk = size - sum(p.size for p in missing)
        if journal.done:
            self.engine.note(
                f"resuming: {len(journal.done):,} of {len(parts):,} ranges already in {partial} "
                f"({human_size(on_disk)}), {len(missing):,} to fetch"
            )
        try:
            with self.engine.phase("download", size, on_disk):
                self.engine.run(missing, fetcher)
            return hasher.result(self.engine)
        except ClientError as error:
            self.engine.stop.set()
            if not isinstance(error, ObjectMissing):  # which leaves nothing to resume
                error.args = (
                    f"{error}; {len(journal.done)} of {len(parts)} ranges are in {partial}; "
                    "run the same command to resume",
                )
            raise

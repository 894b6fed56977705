"""Downloading a file: parallel ranged GETs written in place into PATH.part, resumable, verified by SHA-256.

PATH.part.json remembers which ranges are on disk and which object they belong to, so running the same
command again fetches only the missing ranges. PATH appears only once the SHA-256 matches. A download
holds an exclusive lock on PATH.part from start to end, so a second download to the same output cannot
truncate or overwrite ranges the first has already hashed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from upload_client import os_files
from upload_client.arrival_hash import ArrivalHasher
from upload_client.exceptions import (
    ClientError,
    ObjectMissing,
    ObjectTruncated,
    VerificationFailed,
)
from upload_client.journal import Journal
from upload_client.parts import Part, split
from upload_client.progress import human_size
from upload_client.range_fetcher import DownloadUrl, RangeFetcher
from upload_client.sources import DownloadSource
from upload_client.transfer import TransferEngine
from upload_client.waiting import Patience, wait_until_ready


@dataclass
class DownloadReport:
    """What a download did, for the summary the command prints."""

    file_id: str
    path: str
    size: int
    seconds: float
    sha256: str
    reused_bytes: int
    retries: int
    #: False when UCS knows no SHA-256 for the file, so only the size could be checked.
    verified: bool


class Downloader:
    """Downloads one file (a UCS file or a DRS object) to one output path, resuming the ranges PATH.part
    already holds."""

    def __init__(self, source: DownloadSource, engine: TransferEngine, patience: Patience | None = None):
        self.source = source
        self.engine = engine
        # How long to wait for a file still being validated (upload_client.waiting).
        self.patience = patience or Patience(engine.config.wait_timeout, engine.stop)

    def download(self, output: str) -> DownloadReport:
        began = time.monotonic()
        target = Path(output)
        os_files.check_output(target)
        stored = wait_until_ready(
            self.source.describe, f"file {self.source.id}", self.patience, self.engine.note
        )
        size = stored.size
        partial = target.with_name(target.name + ".part")
        identity = {
            "etag": stored.version,
            "size": size,
            "sha256": stored.sha256,
            "range_size": self.engine.config.download_range_size,
        }
        journal = Journal(target.with_name(target.name + ".part.json"), identity)
        fd = os_files.lock_partial(partial, target)
        try:
            # Resume only where the journal and PATH.part agree; the lock keeps them from changing under us.
            if not (journal.load() and os_files.size_of(fd) == size):
                journal.forget()
            parts = split(size, self.engine.config.download_range_size)
            reused_bytes = sum(p.size for p in parts if p.number in journal.done)
            os_files.reserve_partial(fd, partial, size, fresh=not journal.done)
            try:
                sha256 = self._fetch(stored.url, fd, partial, parts, journal)
            except ObjectMissing as missing:
                os_files.discard(partial, journal.path)  # its ranges belong to an object that is gone
                raise ObjectMissing(f"{missing}; {partial} was removed") from None
            expected = stored.sha256
            if expected and sha256 != expected:
                os_files.discard(partial, journal.path)
                raise VerificationFailed(
                    f"the downloaded bytes have SHA-256 {sha256}, not {expected}; {partial} was removed"
                )
            os_files.check_still_hashed(fd, partial, size)
            os_files.publish(partial, target)
            journal.remove()
        finally:
            os_files.close(fd)  # releases the lock, only once PATH is published
        return DownloadReport(
            self.source.id,
            str(target),
            size,
            time.monotonic() - began,
            sha256,
            reused_bytes,
            self.engine.retries,
            verified=bool(expected),
        )

    def _fetch(self, url: str, fd: int, partial: Path, parts: list[Part], journal: Journal) -> str:
        """Fetch the ranges not on disk yet and hash the file alongside; returns its SHA-256."""
        size = parts[-1].end
        chunk_size = self.engine.config.chunk_size
        hasher = (
            ArrivalHasher(fd, parts, chunk_size, self.engine.stop, partial).resuming(journal.done).start()
        )
        download_url = DownloadUrl(self.source, url)
        fetcher = RangeFetcher(self.engine, download_url, fd, partial, size, journal, hasher)
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
            if not isinstance(error, ObjectMissing | ObjectTruncated):  # no resume can get further
                error.args = (
                    f"{error}; {len(journal.done)} of {len(parts)} ranges are in {partial}; "
                    "run the same command to resume",
                )
            raise

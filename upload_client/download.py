"""Downloading a file: parallel ranged GETs written in place into PATH.part, resumable, verified by SHA-256.

PATH.part.json remembers which ranges are on disk and which object they belong to, so running the same
command again fetches only the missing ranges. PATH appears only once the SHA-256 matches. A download
holds an exclusive lock on PATH.part from start to end, so a second download to the same output cannot
truncate or overwrite ranges the first has already hashed.
"""

from __future__ import annotations

import bisect
import ctypes
import errno
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
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

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


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


class Journal:
    """Which ranges of PATH.part are complete, saved atomically beside it after each range.

    Finished ranges are stored as intervals of range numbers: ranges finish roughly in order, so the
    journal stays a few bytes long even for the 600,000 ranges of a 10 TiB file. The intervals are kept
    up to date range by range, so saving costs the same for the last range as for the first.
    """

    def __init__(self, path: Path, identity: dict):
        self.path = path
        self.identity = identity
        self.done: set[int] = set()
        self._intervals: list[list[int]] = []
        self._changed = threading.Condition()

    def load(self) -> bool:
        """Read the journal; false when there is none, it is damaged, or it belongs to another object or range size."""
        try:
            saved = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return False
        if not isinstance(saved, dict) or saved.get("identity") != self.identity:
            return False
        ranges = -(-self.identity["size"] // self.identity["range_size"])
        try:
            done = {
                number for first, last in saved.get("done", []) for number in _checked(first, last, ranges)
            }
        except (TypeError, ValueError):
            return False
        self.done, self._intervals = done, intervals(done)
        return True

    def forget(self) -> None:
        """Start afresh: no range is finished."""
        self.done, self._intervals = set(), []

    def mark_done(self, number: int) -> None:
        with self._changed:
            self.done.add(number)
            add_to_intervals(self._intervals, number)
            temporary = self.path.with_name(self.path.name + ".tmp")
            temporary.write_text(json.dumps({"identity": self.identity, "done": self._intervals}))
            os.replace(temporary, self.path)
            self._changed.notify_all()

    def wait_for(self, number: int, timeout: float) -> bool:
        """Wait up to timeout seconds for range number to be finished; whether it is."""
        with self._changed:
            return self._changed.wait_for(lambda: number in self.done, timeout)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _checked(first: int, last: int, ranges: int) -> range:
    """The range numbers first..last, refused unless they are whole numbers within 1..ranges."""
    if not (type(first) is int and type(last) is int and 1 <= first <= last <= ranges):
        raise ValueError(f"[{first}, {last}] is not an interval of 1..{ranges}")
    return range(first, last + 1)


def intervals(numbers: set[int]) -> list[list[int]]:
    """[[first, last], ...] covering the numbers: {1, 2, 3, 7} gives [[1, 3], [7, 7]]."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        add_to_intervals(runs, number)
    return runs


def add_to_intervals(runs: list[list[int]], number: int) -> None:
    """Add number to sorted, separate intervals [[first, last], ...], joining the neighbours it touches."""
    index = bisect.bisect_right(runs, number, key=lambda run: run[0])  # runs[:index] start at or before it
    before = runs[index - 1] if index else None
    after = runs[index] if index < len(runs) else None
    if before is not None and before[1] >= number:
        return  # already there
    joins_before = before is not None and before[1] == number - 1
    joins_after = after is not None and after[0] == number + 1
    if joins_before and joins_after:
        before[1] = after[1]
        del runs[index]
    elif joins_before:
        before[1] = number
    elif joins_after:
        after[0] = number
    else:
        runs.insert(index, [number, number])


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


def check_output(target: Path) -> None:
    if target.is_dir():
        raise BadInput(f"{target} is a directory; --output names the file to write")
    if target.exists():
        raise BadInput(f"{target} already exists; remove it or choose another --output")
    if not target.parent.exists():
        raise BadInput(f"{target.parent} does not exist; create it or choose another --output")
    if not target.parent.is_dir():
        raise BadInput(f"{target.parent} is not a directory")
    if not os.access(target.parent, os.W_OK):
        raise BadInput(f"cannot write in {target.parent}: permission denied")


def discard(partial: Path, journal: Journal) -> None:
    """Remove PATH.part and its journal: what they hold can never be resumed into the file."""
    partial.unlink(missing_ok=True)
    journal.remove()


def publish(partial: Path, target: Path) -> None:
    """Rename the verified PATH.part to PATH, never replacing a PATH that appeared meanwhile."""
    try:
        os.link(partial, target)  # unlike a rename, fails when target exists
    except FileExistsError:
        raise BadInput(
            f"{target} appeared during the download and is left as it was; the verified bytes are in {partial}"
        ) from None
    except OSError:  # a filesystem without hard links: the check before the download has to do
        os.replace(partial, target)
        return
    partial.unlink()


def lock_partial(partial: Path, target: Path) -> int:
    """Open PATH.part for writing, without truncating it, holding an exclusive lock on it until it is closed.

    Truncating comes later, once the lock shows that no other download is writing (and hashing) the file.
    """
    try:
        fd = os.open(partial, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise BadInput(f"cannot write {partial}: {error.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BadInput(
            f"another download to {target} is running ({partial} is locked); "
            "wait for it to finish or choose another --output"
        ) from None
    except OSError:
        pass  # a filesystem without locks (some network mounts): nothing can guard the file there
    if not names_file(partial, fd):  # the download holding the lock finished and removed it meanwhile
        os.close(fd)
        raise BadInput(f"another download to {target} has just finished; check {target}")
    return fd


def names_file(path: Path, fd: int) -> bool:
    """Whether path still names the file open as fd."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def check_still_hashed(fd: int, partial: Path, size: int) -> None:
    """Refuse to publish PATH.part unless it is still the file whose bytes were hashed."""
    if not names_file(partial, fd) or os.fstat(fd).st_size != size:
        raise VerificationFailed(
            f"{partial} was replaced or resized during the download, so what it holds was not verified; "
            "nothing was published"
        )


def reserve_partial(fd: int, partial: Path, size: int, fresh: bool) -> None:
    """Bring PATH.part to its full size (emptied first when fresh), reserving the disk space up front."""
    if fresh:
        os.ftruncate(fd, 0)
    try:
        reserved = reserve(fd, size)
    except OSError as error:
        if error.errno not in NO_SPACE:
            raise
        if fresh:
            partial.unlink(missing_ok=True)
        free = shutil.disk_usage(partial.parent).free
        raise DiskFull(f"not enough disk space for {partial}: {size} bytes needed, {free} free") from None
    if not reserved:
        os.ftruncate(fd, size)  # the filesystem cannot reserve space; the writes will tell


def _fallocate() -> Callable[[int, int, int, int], int] | None:
    """fallocate(2) from the C library, where there is one (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    function = getattr(libc, "fallocate64", None) or getattr(libc, "fallocate", None)
    if function is not None:
        function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    return function


_FALLOCATE = _fallocate()


def reserve(fd: int, size: int) -> bool:
    """Reserve size bytes of disk for fd at once; false when the filesystem cannot.

    Not os.posix_fallocate: where the filesystem cannot reserve space, glibc emulates it by writing
    every block, which for a TiB file is hours of silent work (and macOS has no posix_fallocate).
    Raises OSError (ENOSPC) when the disk has no room.
    """
    if _FALLOCATE is None:
        return False
    if _FALLOCATE(fd, 0, 0, size) == 0:
        return True
    code = ctypes.get_errno()
    if code in NO_SPACE:
        raise OSError(code, os.strerror(code))
    return False

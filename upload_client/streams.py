"""Reading a file's byte ranges in chunks: part bodies for PUT requests, MD5 of parts, SHA-256 of the whole.

Nothing here holds more than one chunk of a part in memory, so memory does not grow with part or file size.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Collection, Iterator, Sequence

from upload_client.exceptions import BadInput, ClientError, Interrupted
from upload_client.parts import Part
from upload_client.subscribers import ByteCounter
from upload_client.transfer import TransferEngine


def read_range(fd: int, part: Part, chunk_size: int, stop: threading.Event | None = None) -> Iterator[bytes]:
    """Yield a part's bytes chunk by chunk; stop between chunks when asked."""
    position = part.offset
    while position < part.end:
        if stop is not None and stop.is_set():
            raise Interrupted("interrupted")
        chunk = os.pread(fd, min(chunk_size, part.end - position), position)
        if not chunk:
            raise BadInput(f"the file ended at byte {position} while part {part.number} was read")
        position += len(chunk)
        yield chunk


class PartBody:
    """A part's bytes as a request body that requests sends with Content-Length, never chunked.

    requests takes the length from __len__ and urllib3 sends what __iter__ yields; the MD5 of what was
    sent is ready when the iteration ends. Iterating again starts the part afresh.
    """

    def __init__(self, fd: int, part: Part, chunk_size: int, stop: threading.Event, counter: ByteCounter):
        self.fd = fd
        self.part = part
        self.chunk_size = chunk_size
        self.stop = stop
        self.counter = counter
        self.md5 = hashlib.md5(usedforsecurity=False)

    def __len__(self) -> int:
        return self.part.size

    def __iter__(self) -> Iterator[bytes]:
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.counter.restart()
        for chunk in read_range(self.fd, self.part, self.chunk_size, self.stop):
            self.md5.update(chunk)
            self.counter.advance(len(chunk))
            yield chunk


def part_md5(
    fd: int,
    part: Part,
    chunk_size: int,
    stop: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
) -> str:
    """The MD5 of a part of the file; progress, when given, receives the size of each chunk read."""
    md5 = hashlib.md5(usedforsecurity=False)
    for chunk in read_range(fd, part, chunk_size, stop):
        md5.update(chunk)
        if progress is not None:
            progress(len(chunk))
    return md5.hexdigest()


class SequentialHasher:
    """The SHA-256 of a whole file, read front to back in one pass on its own thread beside the transfer.

    It reads the descriptor the transfer reads (never the path again: another file may have been renamed
    over it meanwhile), so the digest is of the very file whose parts were sent. name is the file's, for
    messages. md5_of names the parts read before (stored parts verified at a resume): their MD5s are
    computed in the same pass, in md5s, so that the caller can tell whether they still hold the bytes read
    then. A download hashes its bytes as they arrive instead (upload_client.arrival_hash).
    """

    def __init__(
        self,
        fd: int,
        parts: Sequence[Part],
        chunk_size: int,
        stop: threading.Event,
        name: str | os.PathLike = "the file",
        md5_of: Collection[int] = (),
    ):
        self.fd = fd
        self.md5_of = md5_of
        #: The MD5 hex of each part in md5_of, once the pass has read it.
        self.md5s: dict[int, str] = {}
        self.name = name
        self.parts = parts
        self.chunk_size = chunk_size
        self.stop = stop
        self._sha256 = hashlib.sha256()
        #: Bytes hashed so far.
        self.hashed = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)

    def start(self) -> SequentialHasher:
        self._thread.start()
        return self

    def hexdigest(self) -> str:
        """Wait for the pass to end and return the digest (raises what stopped the pass)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._sha256.hexdigest()

    def result(self, engine: TransferEngine) -> str:
        """The digest; a pass still running shows as a phase of its own, so a long wait is never silent."""
        if not self._thread.is_alive():
            return self.hexdigest()
        reported = self.hashed
        with engine.phase("computing SHA-256", self.parts[-1].end, reported):
            while self._thread.is_alive():
                self._thread.join(0.25)
                hashed = self.hashed
                engine.report_progress(hashed - reported)
                reported = hashed
        return self.hexdigest()

    def _run(self) -> None:
        try:
            for part in self.parts:
                md5 = hashlib.md5(usedforsecurity=False) if part.number in self.md5_of else None
                for chunk in read_range(self.fd, part, self.chunk_size, self.stop):
                    self._sha256.update(chunk)
                    if md5 is not None:
                        md5.update(chunk)
                    self.hashed += len(chunk)
                if md5 is not None:
                    self.md5s[part.number] = md5.hexdigest()
        except ClientError as error:
            self._error = error
        except OSError as error:
            self._error = ClientError(f"cannot read {self.name}: {error.strerror}")

"""A download's SHA-256, computed from the bytes as they arrive from the network, in order.

Ranges arrive in any order, several at once. Each worker offers every chunk once it is written: the chunk
that starts at the hash cursor is hashed at once, from memory; a chunk ahead of the cursor is only noted
as written, and a thread of its own reads it back from the descriptor when the cursor gets there (ranges
already on disk at a resume are read back the same way). Memory stays one chunk per worker, and the
bytes of the range in front are never read twice.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection

from upload_client.exceptions import ClientError, Interrupted
from upload_client.parts import Part
from upload_client.streams import SequentialHasher


class ArrivalHasher(SequentialHasher):
    """The SHA-256 of a download's ranges (parts of one size, the last one shorter), fed by offer()."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._range_size = self.parts[0].size or 1
        #: Where the bytes written so far end, for each range that has some; hashed is the cursor.
        self._written: dict[int, int] = {}
        #: True while the thread reads bytes at the cursor back from disk: then no worker hashes.
        self._reading = False
        self._changed = threading.Condition()

    def resuming(self, done: Collection[int]) -> ArrivalHasher:
        """Ranges on disk before the download started (an earlier run's): read back when their turn comes."""
        self._written.update((part.number, part.end) for part in self.parts if part.number in done)
        return self

    def offer(self, part: Part, offset: int, chunk: bytes) -> None:
        """A chunk of part, written at offset: hashed now if the cursor is there, else noted as written."""
        end = offset + len(chunk)
        with self._changed:
            if offset == self.hashed and not self._reading:
                self._sha256.update(chunk)
                self.hashed = end
            elif end > self._written.get(part.number, part.offset):
                self._written[part.number] = end
            self._forget_hashed(part)
            self._changed.notify_all()

    def _forget_hashed(self, part: Part) -> None:
        """Keep no entry for a range behind the cursor: a 10 TiB download has 655,360 of them."""
        if self.hashed >= part.end:
            self._written.pop(part.number, None)

    def _run(self) -> None:
        """Read back and hash the bytes at the cursor that are on disk but were not hashed on arrival."""
        try:
            while (claimed := self._next_read()) is not None:
                start, end = claimed
                data = os.pread(self.fd, end - start, start)
                with self._changed:
                    self._reading = False
                    if len(data) != end - start:
                        raise ClientError(
                            f"{self.name} ended at byte {start + len(data)} while it was hashed"
                        )
                    self._sha256.update(data)
                    self.hashed = end
                    self._forget_hashed(self.parts[start // self._range_size])
        except ClientError as error:
            self._error = error
        except OSError as error:
            self._error = ClientError(f"cannot read {self.name}: {error.strerror}")
        finally:
            with self._changed:
                self._reading = False

    def _next_read(self) -> tuple[int, int] | None:
        """The bytes at the cursor to read back (claimed: no worker hashes meanwhile), once there are any;
        None once everything is hashed."""
        with self._changed:
            while self.hashed < self.parts[-1].end:
                part = self.parts[self.hashed // self._range_size]
                written = self._written.get(part.number, part.offset)
                if written > self.hashed:
                    self._reading = True
                    return self.hashed, min(written, self.hashed + self.chunk_size)
                if self.stop.is_set():
                    raise Interrupted("interrupted")
                self._changed.wait(0.2)
            return None

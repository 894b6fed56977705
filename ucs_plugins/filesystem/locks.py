"""Locks on an upload's directory, so that no file is added to it while it is being taken away.

A request adding a file (a part arriving, then renamed into place) holds a shared lock; a removal holds
the exclusive lock while it renames the directory away. A file is thus added before the removal or not at
all, and a request that finds the directory gone meanwhile learns it as UploadNotFound.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ucs.storage import UploadNotFound


@contextlib.contextmanager
def still_there(upload_id: str) -> Iterator[None]:
    """A concurrent completion or abort may remove an upload's directory while this request reads it."""
    try:
        yield
    except FileNotFoundError:
        raise UploadNotFound(f"upload {upload_id} was completed or aborted meanwhile") from None


@contextlib.contextmanager
def adding_to(directory: Path, upload_id: str) -> Iterator[Path]:
    """The upload's directory, held with the shared lock while a file is added to it."""
    with still_there(upload_id), _locked(directory, upload_id, fcntl.LOCK_SH):
        yield directory


@contextlib.contextmanager
def removing(directory: Path, upload_id: str) -> Iterator[Path]:
    """The upload's directory, held with the exclusive lock while it is taken away."""
    with still_there(upload_id), _locked(directory, upload_id, fcntl.LOCK_EX):
        yield directory


@contextlib.contextmanager
def _locked(directory: Path, upload_id: str, mode: int) -> Iterator[None]:
    with still_there(upload_id):
        fd = os.open(directory, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # a filesystem without locks: the race stays possible there
            fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)

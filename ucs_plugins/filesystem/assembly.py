"""Joining an upload's parts into its object: copies inside the kernel, S3's ETag, crash-safe temporaries."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
# copy_file_range copies at most this much per call; the loop calls it again until the part ends.
COPY_STEP = 1024 * CHUNK
# What copy_file_range raises where the kernel or filesystem cannot do it; reading and writing still can.
COPY_UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM, errno.EBADF}


def append_file(source: BinaryIO, target: BinaryIO) -> None:
    """Append the rest of source to target, inside the kernel where it can.

    copy_file_range moves the bytes without passing them through Python, and btrfs and XFS share the
    blocks instead of copying them (a reflink). Where it is unavailable (another filesystem, an old
    kernel, not Linux) the bytes go through a buffer, from where the kernel stopped.
    """
    if hasattr(os, "copy_file_range"):
        try:
            while os.copy_file_range(source.fileno(), target.fileno(), COPY_STEP):
                pass
            return
        except OSError as error:
            if error.errno not in COPY_UNSUPPORTED:
                raise
    # Both files are unbuffered, so reading and writing go on where copy_file_range stopped; the
    # buffered writer retries the partial writes a raw file may make.
    with open(target.fileno(), "wb", closefd=False) as writer:
        shutil.copyfileobj(source, writer, CHUNK)


def multipart_etag(part_md5s: Sequence[str]) -> str:
    """The ETag S3 gives a multipart object: MD5 of the parts' binary MD5s, then '-' and the part count."""
    digest = hashlib.md5(b"".join(bytes.fromhex(m) for m in part_md5s), usedforsecurity=False)
    return f'"{digest.hexdigest()}-{len(part_md5s)}"'


@contextlib.contextmanager
def assembling(directory: Path) -> Iterator[BinaryIO]:
    """A temporary file in directory for an object being joined, locked until it is renamed into place.

    A UCS killed while joining leaves its file unlocked: remove_dead_assemblies at the next start removes
    those only. Unbuffered, so the kernel's copies and any buffered fallback share one file position.
    """
    with tempfile.NamedTemporaryFile(dir=directory, delete=False, buffering=0) as assembled:
        with contextlib.suppress(OSError):  # a filesystem without locks: its leftovers stay
            fcntl.flock(assembled.fileno(), fcntl.LOCK_EX)
        try:
            yield assembled
        except BaseException:
            os.unlink(assembled.name)
            raise


def remove_dead_assemblies(directory: Path) -> None:
    """Remove what UCS processes killed while joining parts left in directory (files nobody locks)."""
    for path in directory.iterdir():
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # renamed into place meanwhile
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live assembly, in this process or another
            continue
        else:
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)

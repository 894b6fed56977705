"""The download's files on disk: PATH checked, PATH.part locked and reserved, PATH published once verified.

The OS calls a download makes on its output (open, flock, fallocate, truncate, link) live here, so that
download.py stays the orchestration and tests can swap a call where the machine cannot fail it for real.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from upload_client.errors import BadInput, DiskFull, VerificationFailed
from upload_client.journal import Journal

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


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

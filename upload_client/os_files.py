"""The client's calls to the OS on files, with their failures as the client's exceptions (s3transfer's OSUtils).

The file to upload is opened and watched for changes; a download's PATH is checked, PATH.part locked,
reserved, written in place and published once verified; the journal beside it is replaced atomically.
The OS calls (open, flock, fallocate, truncate, pwrite, link, rename) live here, so that upload.py and
download.py stay orchestration and tests can swap a call where the machine cannot fail it for real.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from upload_client.atomic_files import write_new
from upload_client.exceptions import BadInput, ClientError, DiskFull, VerificationFailed

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)

# The file to upload.


def open_local_file(path: str) -> tuple[int, int]:
    """Open the file to upload; returns (fd, size). Refuses what cannot be uploaded, with the reason."""
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer; reads of a file ignore it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a directory, not a file") from None
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    info = os.fstat(fd)
    problem = None
    if stat.S_ISDIR(info.st_mode):
        problem = f"{path} is a directory, not a file"
    elif not stat.S_ISREG(info.st_mode):
        problem = f"{path} is not a regular file"
    if problem:
        os.close(fd)
        raise BadInput(problem)
    return fd, info.st_size


@dataclass(frozen=True)
class FileVersion:
    """Which file, at which state: if any of these changes, so may the bytes read from it."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileVersion:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def file_version(fd: int) -> FileVersion:
    """The version of the file open as fd."""
    return FileVersion.of(os.fstat(fd))


def path_version(path: str | os.PathLike) -> FileVersion | None:
    """The version of the file path names now (None when nothing does): another file once renamed over it."""
    try:
        return FileVersion.of(os.stat(path))
    except OSError:
        return None


def size_of(fd: int) -> int:
    """The size of an open file."""
    return os.fstat(fd).st_size


def close(fd: int) -> None:
    """Close a file opened here; closing PATH.part releases its lock."""
    os.close(fd)


# A download's output: PATH, PATH.part and its journal PATH.part.json.


def check_output(target: Path) -> None:
    """Refuse an --output that names anything already there (a symbolic link too, dangling or not), or a
    place where no file can be made."""
    try:
        info = os.lstat(target)  # not stat: a link must not pass for the file it points at, or for nothing
    except (FileNotFoundError, NotADirectoryError):  # the checks of the directory below say which
        info = None
    except OSError as error:
        raise BadInput(f"cannot use {target} as --output: {error.strerror}") from None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise BadInput(
                f"{target} is a symbolic link; a download never writes through one: remove it or choose another --output"
            )
        if stat.S_ISDIR(info.st_mode):
            raise BadInput(f"{target} is a directory; --output names the file to write")
        raise BadInput(f"{target} already exists; remove it or choose another --output")
    if not target.parent.exists():
        raise BadInput(f"{target.parent} does not exist; create it or choose another --output")
    if not target.parent.is_dir():
        raise BadInput(f"{target.parent} is not a directory")
    if not os.access(target.parent, os.W_OK):
        raise BadInput(f"cannot write in {target.parent}: permission denied")


def discard(*paths: Path) -> None:
    """Remove files that can never be resumed into the output (PATH.part, its journal); gone ones are fine."""
    for path in paths:
        path.unlink(missing_ok=True)


def write_atomically(path: Path, text: str) -> None:
    """Replace path's content with text at once (upload_client.atomic_files): a reader sees the old
    content or the new, never a mix; a full disk is DiskFull."""
    try:
        write_new(path, text.encode(), replace=True, durable=False)
    except OSError as error:
        raise _write_failed(error, path) from None


def _write_failed(error: OSError, path: Path) -> ClientError:
    if error.errno in NO_SPACE:
        return DiskFull(f"the disk is full while writing {path}; free space and run the same command")
    return ClientError(f"cannot write {path}: {error.strerror}")


def write_all(fd: int, data: bytes, position: int, path: Path) -> None:
    """Write data at position of the file open as fd, continuing short writes; a full disk is DiskFull."""
    view = memoryview(data)
    while view:
        try:
            written = os.pwrite(fd, view, position)
        except OSError as error:
            raise _write_failed(error, path) from None
        view = view[written:]
        position += written


def publish(partial: Path, target: Path) -> None:
    """Rename the verified PATH.part to PATH, never replacing a PATH that appeared meanwhile."""
    try:
        os.link(partial, target, follow_symlinks=False)  # unlike a rename, fails when target exists
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

    Never through a symbolic link, and only a regular file of this user's with no other name: in a shared
    directory (/tmp) another user could plant PATH.part pointing at a file of ours, or one they can read.
    Truncating comes later, once the lock shows that no other download is writing (and hashing) the file.
    """
    try:
        fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise BadInput(
                f"{partial} is a symbolic link; a download never writes through one: remove it "
                "or choose another --output"
            ) from None
        raise BadInput(f"cannot write {partial}: {error.strerror}") from None
    problem = _not_own_regular_file(os.fstat(fd))
    if problem:
        os.close(fd)
        raise BadInput(
            f"{partial} {problem}; a download writes only its own: remove it or choose another --output"
        )
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


def _not_own_regular_file(info: os.stat_result) -> str | None:
    """Why a file found at PATH.part is not one a download may write into, or None."""
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if info.st_uid != os.geteuid():
        return "belongs to another user"
    if info.st_nlink != 1:
        return "has other names (hard links)"
    return None


def names_file(path: Path, fd: int) -> bool:
    """Whether path still names the file open as fd."""
    try:
        named = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def check_still_hashed(fd: int, partial: Path, size: int) -> None:
    """Refuse to publish PATH.part unless it is still the file whose bytes were hashed."""
    if not names_file(partial, fd) or size_of(fd) != size:
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

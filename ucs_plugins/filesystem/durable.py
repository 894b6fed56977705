"""Writes that survive a crash: files and the directory entries that name them flushed to disk."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_directory(directory: Path) -> None:
    """Flush a directory's entries, so a file created or renamed into it is still named there after a crash."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_directories(directory: Path, base: Path) -> None:
    """mkdir -p of directory below base, each new directory's entry flushed in its parent."""
    if directory == base or directory.is_dir():
        return
    make_directories(directory.parent, base)
    try:
        directory.mkdir()
    except FileExistsError:
        if not directory.is_dir():
            raise
        return  # made by a concurrent request, which flushes it
    fsync_directory(directory.parent)


def write_durably(path: Path, data: bytes, base: Path) -> None:
    """Write a small file below base and flush it and its name.

    Written in place: callers write it before what makes it visible (the ETag before its object), so a
    crash mid-write leaves a torn file nobody reads and that the retry overwrites.
    """
    make_directories(path.parent, base)
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    fsync_directory(path.parent)

"""Reading a byte range of a completed object: the filesystem store's read_range, a file read."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from ucs.storage import READ_CHUNK, ObjectNotFound, StorageUnavailable


def file_chunks(object_path: Callable[[str], Path], key: str, start: int, length: int) -> Iterator[bytes]:
    """The bytes [start, start + length) of the object's file, cut at its end; object_path checks the key
    as every other operation of the store does, so no key names a path outside objects/."""
    try:
        file = open(object_path(key), "rb", buffering=0)  # noqa: SIM115 - closed by the with below
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise ObjectNotFound(f"no object {key}") from None
    except OSError as error:
        raise StorageUnavailable(f"cannot read object {key}: {error.strerror}") from None
    with file:
        position, end = start, start + length
        while position < end:
            try:
                chunk = os.pread(file.fileno(), min(READ_CHUNK, end - position), position)
            except OSError as error:
                raise StorageUnavailable(f"cannot read object {key}: {error.strerror}") from None
            if not chunk:  # the end of the object
                return
            position += len(chunk)
            yield chunk

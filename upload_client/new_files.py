"""Files that appear whole and with their mode from the first instant: key files, secrets, settings.

The bytes are written to a new file beside the target (mkstemp opens it O_CREAT|O_EXCL, readable by its
owner only), then linked into place, which fails with FileExistsError if the target exists, so two racing
writers make one winner and nothing is overwritten; or renamed into place when replacing is wanted.
A reader sees all of the file or none of it. UCS uses it too (its signing and Crypt4GH keys).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def create_file(path: Path, data: bytes, mode: int, replace: bool = False) -> None:
    """Write data to path with mode; unless replace, FileExistsError if path exists (left untouched)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as output:
            output.write(data)
            output.flush()
            os.fsync(output.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)

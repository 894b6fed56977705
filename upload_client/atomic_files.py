"""Files written whole or not at all, with their mode from the moment they exist (secrets stay private).

A file is written beside its target under a temporary name that mkstemp creates with O_CREAT|O_EXCL and
mode 0600, whatever the umask, then linked into place (new files: FileExistsError if the target exists,
so of two writers racing one wins and the other reads its file) or renamed over it (replace=True).
Readers never see half a file, and a secret is never readable by others, not even for a moment.

The one implementation: UCS imports it too (its token signing keys, the filesystem store's URL key, the
Crypt4GH key files), since the client may import nothing of `ucs`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_new(
    path: Path, data: bytes, mode: int = 0o600, replace: bool = False, durable: bool = True
) -> None:
    """Write data to path with mode; without replace, FileExistsError if path exists (left untouched).

    durable=False skips the fsync, for a file rewritten often whose loss only costs work done again (a
    download's journal): still never half written, though a crash may leave its previous content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        if mode != 0o600:
            os.fchmod(descriptor, mode)  # mkstemp made it 0600; a public file is opened up once written
        with os.fdopen(descriptor, "wb") as output:
            output.write(data)
            if durable:
                output.flush()
                os.fsync(output.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)

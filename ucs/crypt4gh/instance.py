"""The embedded default's archive key pair: made in the instance directory on first start, then reused.

A small deployment needs no `ucs crypt4gh keygen`: the first process to start writes `crypt4gh.sec`
(mode 0600, no passphrase: its file mode guards it, as the built-in token issuer's key) and the others
read it. The public key is written beside it as `crypt4gh.pub`, for submitters and operators.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from ucs.crypt4gh.archive import ArchiveKeys
from upload_client.crypt4gh.key_files import read_public_key, write_public_key, write_secret_key
from upload_client.crypt4gh.keys import SecretKey

SECRET_KEY_FILE = "crypt4gh.sec"
PUBLIC_KEY_FILE = "crypt4gh.pub"


def instance_keys(directory: str | Path) -> ArchiveKeys:
    """The instance's pair: read it, or make it on first start (one winner when processes race)."""
    secret_path, public_path = Path(directory) / SECRET_KEY_FILE, Path(directory) / PUBLIC_KEY_FILE
    if not secret_path.exists():
        # FileExistsError: another process made it first, so use theirs.
        with contextlib.suppress(FileExistsError):
            write_secret_key(secret_path, SecretKey.generate(), None, comment="ucs instance key")
    keys = ArchiveKeys.from_files(secret_path)
    if not public_path.exists() or read_public_key(public_path) != keys.public_key:
        # Written whole and renamed into place, so a reader never sees half of it or a stale key.
        write_public_key(public_path, keys.public_key, replace=True)
    return keys

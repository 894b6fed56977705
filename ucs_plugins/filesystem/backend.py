"""The filesystem storage backend, the embedded default: parts and objects under UCS_FILESYSTEM_ROOT.

UCS serves this store itself: its presigned URLs (urls.py) point at UCS's own /storage routes (routes.py)
and carry an HMAC-SHA256 signature (signing.py). Upload ids are random hex made here and keys are checked
segment by segment (names.py), so no request can name a path outside the root (layout.py). Its
operations are those of the multipart uploads (multipart.py) and of the completed objects (objects.py);
this module builds it and checks it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ucs.storage import StorageUnavailable
from ucs_plugins.filesystem.assembly import remove_dead_assemblies
from ucs_plugins.filesystem.multipart import MultipartUploads
from ucs_plugins.filesystem.objects import StoredObjects
from ucs_plugins.filesystem.signing import UrlSigner, instance_signing_key
from ucs_plugins.filesystem.trash import TrashRemover, empty_trash
from ucs_plugins.filesystem.urls import PresignedUrls


class FilesystemBackend(MultipartUploads, StoredObjects):
    """A StorageBackend on a directory: uploads, objects, ETags, and removals and joins under way."""

    name = "filesystem"
    bucket = "filesystem"

    def __init__(self, root: str | os.PathLike, signer: UrlSigner, public_url: str | None = None):
        super().__init__(root)
        self.signer = signer
        self.urls = PresignedUrls(signer, public_url)
        # The root as configured, for `ucs run` to show.
        self.given_root = str(root)
        # What UCS processes that stopped mid-way left behind.
        empty_trash(self.trash_dir)
        self.trash = TrashRemover()
        remove_dead_assemblies(self.assembling_dir)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FilesystemBackend:
        root = Path(config["FILESYSTEM_ROOT"])
        root.mkdir(parents=True, exist_ok=True)
        key = config.get("STORAGE_SIGNING_KEY")
        secret = key.encode() if key else instance_signing_key(root)
        return cls(config["FILESYSTEM_ROOT"], UrlSigner(secret), config.get("FILESYSTEM_PUBLIC_URL"))

    def location(self) -> str:
        """Where the objects are, for `ucs run`'s banner."""
        return f"at {self.given_root}"

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise StorageUnavailable(f"storage root {self.root} is not writable")

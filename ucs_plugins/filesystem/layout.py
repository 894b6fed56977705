"""Where the filesystem store keeps what: its directories under the root, and every path checked inside it.

Each path is built from a checked id or key (names.py), then confirmed to lie inside the root, so no
request can name a path outside it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ucs.storage import StorageError, UploadNotFound
from ucs_plugins.filesystem.names import checked_key, checked_upload_id


class StoreLayout:
    """The store's directories, made if missing, and the paths of an upload, an object and its ETag."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self.uploads_dir = self.root / "uploads"
        self.objects_dir = self.root / "objects"
        # ETags live in their own tree, so no object key can collide with another object's ETag file.
        self.etags_dir = self.root / "etags"
        # Upload directories being removed: renamed here first, so no part can be added behind the removal.
        self.trash_dir = self.root / "trash"
        # Objects being joined from their parts, renamed into objects/ once complete.
        self.assembling_dir = self.root / "assembling"
        for directory in (
            self.uploads_dir,
            self.objects_dir,
            self.etags_dir,
            self.trash_dir,
            self.assembling_dir,
        ):
            directory.mkdir(parents=True, exist_ok=True)

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise StorageError("refusing a path outside the storage root")
        return resolved

    def upload_dir(self, upload_id: str) -> Path:
        path = self._inside(self.uploads_dir / checked_upload_id(upload_id))
        if not path.is_dir():
            raise UploadNotFound(f"no multipart upload {upload_id}")
        return path

    def object_path(self, key: str) -> Path:
        return self._inside(self.objects_dir / checked_key(key))

    def etag_path(self, key: str) -> Path:
        return self._inside(self.etags_dir / checked_key(key))

"""The filesystem store's completed objects: a download URL, their size and ETag, a byte range, removal.

An object is the file objects/<key>, its ETag the file etags/<key> (layout.py); completing an upload
(multipart.py) writes both.
"""

from __future__ import annotations

from collections.abc import Iterator

from ucs.storage import ObjectInfo, ObjectNotFound, PresignedRequest, StorageError, check_range
from ucs_plugins.filesystem.layout import StoreLayout
from ucs_plugins.filesystem.names import checked_key
from ucs_plugins.filesystem.reading import file_chunks
from ucs_plugins.filesystem.urls import PresignedUrls


class StoredObjects(StoreLayout):
    """The completed-object half of FilesystemBackend (backend.py), which gives it its urls."""

    urls: PresignedUrls

    def presign_download(self, key: str, expires_in: int) -> PresignedRequest:
        checked_key(key)
        return self.urls.make("GET", key, "", 0, expires_in)

    def head_object(self, key: str) -> ObjectInfo:
        try:
            return ObjectInfo(size=self.object_path(key).stat().st_size, etag=self.etag_path(key).read_text())
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"no object {key}") from None

    # --- Reading a completed object back: a file read ---

    def read_range(self, key: str, start: int, length: int) -> Iterator[bytes]:
        check_range(start, length)
        return file_chunks(self.object_path, key, start, length)

    # --- End of reading a completed object back ---

    def delete_object(self, key: str) -> None:
        try:
            paths = (self.object_path(key), self.etag_path(key))
        except ObjectNotFound:  # a key this store never accepts holds no object
            return
        # The object first: without it head_object answers ObjectNotFound, whatever became of its ETag.
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except NotADirectoryError:
                pass  # a segment of the key is a file: no object under this key
            except OSError as error:
                raise StorageError(f"cannot remove object {key}: {error.strerror}") from None

"""The filesystem store's multipart uploads: each a directory of part files, joined into an object at completion.

An upload is uploads/<id>/ holding its key and its parts (parts.py); a part arrives through a temporary
file, under the upload's lock (locks.py), and a completion joins the parts (assembly.py) into the object
and ETag that objects.py serves. A completed or aborted upload's directory goes through trash/ (trash.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime

from ucs.storage import (
    InvalidParts,
    PresignedRequest,
    StorageError,
    StorageUnavailable,
    StoredPart,
    StoreUpload,
    UploadNotFound,
)
from ucs.uploads import MAX_PART_SIZE, MAX_PARTS, normalize_etag
from ucs_plugins.filesystem.assembly import CHUNK, append_file, assembling, multipart_etag
from ucs_plugins.filesystem.durable import fsync_directory, make_directories, write_durably
from ucs_plugins.filesystem.layout import StoreLayout
from ucs_plugins.filesystem.locks import adding_to, removing, still_there
from ucs_plugins.filesystem.names import UPLOAD_ID, checked_key
from ucs_plugins.filesystem.parts import drop_older_copies, newest_part_files, newest_parts, part_file
from ucs_plugins.filesystem.trash import TrashRemover
from ucs_plugins.filesystem.urls import PresignedUrls


class PartTooLarge(StorageError):
    """A part larger than S3 accepts (5 GiB): refused, so a holder of a part URL cannot fill the disk."""


class MultipartUploads(StoreLayout):
    """The multipart-upload half of FilesystemBackend (backend.py), which gives it its urls and trash."""

    max_part_size = MAX_PART_SIZE
    urls: PresignedUrls
    trash: TrashRemover

    def create_multipart_upload(self, key: str) -> str:
        checked_key(key)
        upload_id = secrets.token_hex(16)
        directory = self.uploads_dir / upload_id
        try:
            directory.mkdir()
            (directory / "key").write_text(key)
        except OSError as error:  # the root was removed, unmounted or filled up
            raise StorageUnavailable(
                f"cannot write to the storage root {self.root}: {error.strerror}"
            ) from None
        return upload_id

    def presign_upload_part(
        self, key: str, upload_id: str, part_no: int, expires_in: int
    ) -> PresignedRequest:
        self._check_key_of(upload_id, key)
        return self.urls.make("PUT", key, upload_id, part_no, expires_in)

    def presign_upload_parts(
        self, key: str, upload_id: str, part_nos: Sequence[int], expires_in: int
    ) -> list[PresignedRequest]:
        self._check_key_of(upload_id, key)  # once for the batch: it reads the upload's key file
        return [self.urls.make("PUT", key, upload_id, part_no, expires_in) for part_no in part_nos]

    def key_of(self, upload_id: str) -> str:
        """The key an upload is for; UploadNotFound for an unknown, finished or malformed id."""
        try:
            return (self.upload_dir(upload_id) / "key").read_text()
        except FileNotFoundError:  # completed or aborted meanwhile
            raise UploadNotFound(f"no multipart upload {upload_id}") from None

    def _check_key_of(self, upload_id: str, key: str) -> None:
        if self.key_of(upload_id) != key:
            raise UploadNotFound(f"upload {upload_id} is not for key {key}")

    def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        self._check_key_of(upload_id, key)
        parts = newest_parts(self.upload_dir(upload_id))
        return [StoredPart(no, f'"{md5}"', size) for no, md5, _, size in parts]

    def write_part(self, upload_id: str, part_no: int, stream, length: int | None) -> str:
        """Store a part from a stream; a broken or short stream leaves no part behind. Returns its ETag.

        The bytes go to a temporary file that is renamed into place only once all of them arrived. A part
        longer than max_part_size is refused before the first byte when its length is given, else as soon
        as the stream passes the limit.
        """
        if not 1 <= part_no <= MAX_PARTS:
            raise StorageError(f"part number {part_no} is outside 1..{MAX_PARTS}")
        if length is not None and length > self.max_part_size:
            raise self._too_large(part_no, f"is {length} bytes")
        md5 = hashlib.md5(usedforsecurity=False)
        received = 0
        # Created under the lock, which is not held while the bytes arrive; the with below closes it.
        with self._adding_to(upload_id) as directory:
            temporary = tempfile.NamedTemporaryFile(dir=directory, prefix=".incoming-", delete=False)  # noqa: SIM115
        with temporary:
            try:
                while chunk := stream.read(CHUNK):
                    received += len(chunk)
                    if received > self.max_part_size:
                        raise self._too_large(part_no, f"passed {self.max_part_size} bytes")
                    md5.update(chunk)
                    temporary.write(chunk)
                if length is not None and received != length:
                    raise StorageError(f"part {part_no} ended after {received} of {length} bytes")
            except BaseException:
                with contextlib.suppress(FileNotFoundError):  # an abort took the directory meanwhile
                    os.unlink(temporary.name)
                raise
        digest = md5.hexdigest()
        final = part_file(directory, part_no, digest)
        # UploadNotFound when the upload was completed or aborted while the part arrived.
        with self._adding_to(upload_id):
            os.replace(temporary.name, final)
            drop_older_copies(final)
        return f'"{digest}"'

    def _adding_to(self, upload_id: str):
        """The upload's directory, held while a file is added to it (locks.py)."""
        return adding_to(self.upload_dir(upload_id), upload_id)

    def _too_large(self, part_no: int, what: str) -> PartTooLarge:
        return PartTooLarge(f"part {part_no} {what}: a part may have at most {self.max_part_size} bytes")

    def complete_multipart_upload(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> str:
        self._check_key_of(upload_id, key)
        # The same rules S3 applies: at least one part, numbers ascending, each stored with that ETag.
        if not parts:
            raise InvalidParts("no parts were listed")
        numbers = [number for number, _ in parts]
        if numbers != sorted(set(numbers)):
            raise InvalidParts("parts must be listed once each, in ascending order")
        stored = newest_part_files(self.upload_dir(upload_id))
        for number, etag in parts:
            if number not in stored:
                raise InvalidParts(f"part {number} was never stored")
            if stored[number][0] != normalize_etag(etag):
                raise InvalidParts(f"part {number} has ETag {stored[number][0]}, not {etag}")
        target = self.object_path(key)
        etag_path = self.etag_path(key)
        etag = multipart_etag([stored[number][0] for number, _ in parts])
        make_directories(target.parent, self.objects_dir)
        with assembling(self.assembling_dir) as assembled:
            with still_there(upload_id):
                for number, _ in parts:
                    with open(stored[number][1], "rb", buffering=0) as part:
                        append_file(part, assembled)
            # Crash safety (docs/benchmarks.md, "Filesystem store: completing 10,000 parts"): no fsync
            # per part, one of the whole result before it is renamed into place. A crash before the
            # rename leaves an unlocked temporary file (removed at the next start) and the parts
            # untouched, so the retried completion joins again; after it, the object is whole.
            os.fsync(assembled.fileno())
            write_durably(etag_path, etag.encode(), self.etags_dir)
            os.replace(assembled.name, target)
            fsync_directory(target.parent)
        # The object stands, whatever becomes of its parts: a concurrent completion may have removed them
        # first, and what a failed removal leaves in trash/ goes at the next start.
        with contextlib.suppress(StorageError):
            self._discard(upload_id, later=True)
        return etag

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        try:
            stored_key = (self.upload_dir(upload_id) / "key").read_text()
        except FileNotFoundError:
            stored_key = None  # half removed by an older UCS, whose abort stopped midway: remove the rest
        if stored_key is not None and stored_key != key:
            raise UploadNotFound(f"upload {upload_id} is not for key {key}")
        self._discard(upload_id)

    def _discard(self, upload_id: str, later: bool = False) -> None:
        """Remove an upload's directory for good, even while its parts are still arriving.

        Removing it in place raced with parts being renamed in: the removal stopped at a file that had
        just appeared or gone, and left the rest on disk forever. Renamed into trash/ first, under the lock
        that every request adding a file holds, the directory can no longer gain files (a part still
        arriving finds its upload gone); what a crash leaves in trash/ goes at the next start. later:
        its files are removed behind the request (trash.py), as a completion's are.
        """
        doomed = self.trash_dir / f"{upload_id}.{secrets.token_hex(4)}"
        with removing(self.upload_dir(upload_id), upload_id) as directory:
            os.rename(directory, doomed)
        if later:
            self.trash.remove_later(doomed)
            return
        shutil.rmtree(doomed, ignore_errors=True)
        if doomed.exists():
            raise StorageError(f"could not remove all of {doomed}; it is removed when UCS next starts")

    def list_multipart_uploads(self) -> list[StoreUpload]:
        """The unfinished uploads, for `ucs uploads cleanup` to find those nothing will finish."""
        uploads = []
        for directory in self.uploads_dir.iterdir():
            if not UPLOAD_ID.fullmatch(directory.name):
                continue
            key_file = directory / "key"
            try:
                key, started = key_file.read_text(), key_file.stat().st_mtime
            except FileNotFoundError:  # half removed by an older UCS, or completed or aborted meanwhile
                try:
                    key, started = None, directory.stat().st_mtime
                except FileNotFoundError:
                    continue
            uploads.append(StoreUpload(directory.name, key, datetime.fromtimestamp(started, UTC)))
        return uploads

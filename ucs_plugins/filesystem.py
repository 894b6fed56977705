"""The filesystem storage backend, the embedded default: parts and objects under UCS_STORAGE_ROOT.

UCS serves this store itself. Its presigned URLs point at UCS's own /storage routes and carry an
HMAC-SHA256 signature over method, key, upload id, part number and expiry (see ucs_plugins/fs_routes.py).
Upload ids are random hex made here and keys are checked segment by segment, so no request can name a
path outside the root.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from werkzeug.exceptions import BadRequest

from ucs.hookspecs import hookimpl
from ucs.storage import (
    InvalidParts,
    ObjectInfo,
    ObjectNotFound,
    PresignedRequest,
    StorageError,
    StorageUnavailable,
    StoredPart,
    StoreUpload,
    UploadNotFound,
)
from ucs.uploads import FILE_ID_PATTERN, MAX_PART_SIZE, MAX_PARTS, normalize_etag
from ucs_plugins.fs_signing import UrlSigner

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
PART_FILE = re.compile(r"^(\d{5})\.([0-9a-f]{32})$")
# What a Host header may be for URLs to start with it: a name or IPv4 address, or an IPv6 literal, and a port.
HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
CHUNK = 1024 * 1024
# copy_file_range copies at most this much per call; the loop calls it again until the part ends.
COPY_STEP = 1024 * CHUNK
# What copy_file_range raises where the kernel or filesystem cannot do it; reading and writing still can.
COPY_UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM, errno.EBADF}


class PartTooLarge(StorageError):
    """A part larger than S3 accepts (5 GiB): refused, so a holder of a part URL cannot fill the disk."""


@contextlib.contextmanager
def _still_there(upload_id: str) -> Iterator[None]:
    """A concurrent completion or abort may remove an upload's directory while this request reads it."""
    try:
        yield
    except FileNotFoundError:
        raise UploadNotFound(f"upload {upload_id} was completed or aborted meanwhile") from None


def checked_key(key: str) -> str:
    segments = key.split("/")
    if not 1 <= len(segments) <= 8 or not all(FILE_ID_PATTERN.fullmatch(s) for s in segments):
        raise ObjectNotFound(f"invalid object key {key[:80]!r}")
    return key


def checked_upload_id(upload_id: str) -> str:
    if not UPLOAD_ID.fullmatch(upload_id):
        raise UploadNotFound(f"invalid upload id {upload_id[:80]!r}")
    return upload_id


def append_file(source: BinaryIO, target: BinaryIO) -> None:
    """Append the rest of source to target, inside the kernel where it can.

    copy_file_range moves the bytes without passing them through Python, and btrfs and XFS share the
    blocks instead of copying them (a reflink). Where it is unavailable (another filesystem, an old
    kernel, not Linux) the bytes go through a buffer, from where the kernel stopped.
    """
    if hasattr(os, "copy_file_range"):
        try:
            while os.copy_file_range(source.fileno(), target.fileno(), COPY_STEP):
                pass
            return
        except OSError as error:
            if error.errno not in COPY_UNSUPPORTED:
                raise
    # Both files are unbuffered, so reading and writing go on where copy_file_range stopped; the
    # buffered writer retries the partial writes a raw file may make.
    with open(target.fileno(), "wb", closefd=False) as writer:
        shutil.copyfileobj(source, writer, CHUNK)


def multipart_etag(part_md5s: Sequence[str]) -> str:
    """The ETag S3 gives a multipart object: MD5 of the parts' binary MD5s, then '-' and the part count."""
    digest = hashlib.md5(b"".join(bytes.fromhex(m) for m in part_md5s), usedforsecurity=False)
    return f'"{digest.hexdigest()}-{len(part_md5s)}"'


class FilesystemBackend:
    name = "filesystem"
    bucket = "filesystem"
    max_part_size = MAX_PART_SIZE

    def __init__(self, root: str | os.PathLike, signer: UrlSigner, public_url: str | None = None):
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
        self.signer = signer
        self.public_url = public_url.rstrip("/") if public_url else None
        # What UCS processes that stopped mid-way left behind.
        self._empty_trash()
        self._remove_dead_assemblies()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FilesystemBackend:
        root = Path(config["STORAGE_ROOT"])
        root.mkdir(parents=True, exist_ok=True)
        key = config.get("STORAGE_SIGNING_KEY")
        secret = key.encode() if key else _instance_signing_key(root)
        return cls(root, UrlSigner(secret), config.get("PUBLIC_URL"))

    # Paths: every one is built from a checked id or key, then confirmed to lie inside the root.

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

    # The StorageBackend protocol.

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
        return self._presign("PUT", key, upload_id, part_no, expires_in)

    def presign_upload_parts(
        self, key: str, upload_id: str, part_nos: Sequence[int], expires_in: int
    ) -> list[PresignedRequest]:
        self._check_key_of(upload_id, key)  # once for the batch: it reads the upload's key file
        return [self._presign("PUT", key, upload_id, part_no, expires_in) for part_no in part_nos]

    def presign_download(self, key: str, expires_in: int) -> PresignedRequest:
        checked_key(key)
        return self._presign("GET", key, "", 0, expires_in)

    def _presign(
        self, method: str, key: str, upload_id: str, part_no: int, expires_in: int
    ) -> PresignedRequest:
        # Signatures carry whole seconds: round up, so a URL never lives shorter than asked.
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
        if expires_at.microsecond:
            expires_at = expires_at.replace(microsecond=0) + timedelta(seconds=1)
        query = self.signer.sign(method, key, upload_id, part_no, int(expires_at.timestamp()))
        path = f"/storage/uploads/{upload_id}/{part_no}" if method == "PUT" else f"/storage/objects/{key}"
        return PresignedRequest(url=f"{self._base_url()}{path}?{query}", method=method, expires_at=expires_at)

    def _base_url(self) -> str:
        if self.public_url:
            return self.public_url
        # Only presigning needs the request: UCS serves this store itself, on the host the client used.
        from flask import has_request_context, request

        if not has_request_context():
            raise StorageError("set PUBLIC_URL: outside a request UCS cannot tell the address clients use")
        # A Host such as 'evil.example.com:80/x?' made 'http:/storage/...' (werkzeug, depending on its
        # version, passes it through or turns it into ''): no URL is built from one that is not host[:port].
        if not HOST.fullmatch(request.host):
            shown = request.headers.get("Host", "")[:80]
            raise BadRequest(
                f"the Host header {shown!r} is not a host name or address with an optional port, so UCS "
                "cannot build the store's URLs from it (an operator can set UCS_PUBLIC_URL)"
            )
        return request.host_url.rstrip("/")

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
        return [StoredPart(no, f'"{md5}"', size) for no, md5, _, size in self._parts(upload_id)]

    def _parts(self, upload_id: str) -> Iterator[tuple[int, str, Path, int]]:
        """(number, md5, path, size) of the stored parts in order; of a part stored twice, its newest copy."""
        newest: dict[int, tuple[int, str, Path, int]] = {}
        for path in self.upload_dir(upload_id).iterdir():
            match = PART_FILE.fullmatch(path.name)
            if match:
                try:
                    stat = path.stat()
                except FileNotFoundError:  # replaced by a newer copy meanwhile
                    continue
                number = int(match.group(1))
                if number not in newest or stat.st_mtime_ns > newest[number][0]:
                    newest[number] = (stat.st_mtime_ns, match.group(2), path, stat.st_size)
        for number in sorted(newest):
            _, md5, path, size = newest[number]
            yield number, md5, path, size

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
        final = directory / f"{part_no:05d}.{digest}"
        # UploadNotFound when the upload was completed or aborted while the part arrived.
        with self._adding_to(upload_id):
            os.replace(temporary.name, final)
            self._drop_older_copies(final)
        return f'"{digest}"'

    @contextlib.contextmanager
    def _adding_to(self, upload_id: str) -> Iterator[Path]:
        """The upload's directory, held (a shared lock) while a file is added to it.

        _discard takes the directory away under the exclusive lock, so a file is added either before,
        or not at all: its path then names nothing, and UploadNotFound says the upload is gone.
        """
        with _still_there(upload_id), self._locked(upload_id, fcntl.LOCK_SH) as directory:
            yield directory

    @contextlib.contextmanager
    def _locked(self, upload_id: str, mode: int) -> Iterator[Path]:
        directory = self.upload_dir(upload_id)
        with _still_there(upload_id):
            fd = os.open(directory, os.O_RDONLY)
        try:
            with contextlib.suppress(OSError):  # a filesystem without locks: the race stays possible there
                fcntl.flock(fd, mode)
            yield directory
        finally:
            os.close(fd)

    def _too_large(self, part_no: int, what: str) -> PartTooLarge:
        return PartTooLarge(f"part {part_no} {what}: a part may have at most {self.max_part_size} bytes")

    @staticmethod
    def _drop_older_copies(final: Path) -> None:
        """Remove earlier copies of a re-sent part.

        Only strictly older ones: when two PUTs of one part race, each keeps the other's copy if it is
        newer, so the newest survives, which is the one _parts picks.
        """
        newest = final.stat().st_mtime_ns
        for path in final.parent.glob(f"{final.name[:5]}.*"):
            with contextlib.suppress(FileNotFoundError):
                if path != final and path.stat().st_mtime_ns < newest:
                    path.unlink()

    def complete_multipart_upload(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> str:
        self._check_key_of(upload_id, key)
        # The same rules S3 applies: at least one part, numbers ascending, each stored with that ETag.
        if not parts:
            raise InvalidParts("no parts were listed")
        numbers = [number for number, _ in parts]
        if numbers != sorted(set(numbers)):
            raise InvalidParts("parts must be listed once each, in ascending order")
        stored = {number: (md5, path) for number, md5, path, _ in self._parts(upload_id)}
        for number, etag in parts:
            if number not in stored:
                raise InvalidParts(f"part {number} was never stored")
            if stored[number][0] != normalize_etag(etag):
                raise InvalidParts(f"part {number} has ETag {stored[number][0]}, not {etag}")
        target = self.object_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._assembling() as assembled:
            with _still_there(upload_id):
                for number, _ in parts:
                    with open(stored[number][1], "rb", buffering=0) as part:
                        append_file(part, assembled)
            etag = multipart_etag([stored[number][0] for number, _ in parts])
            etag_path = self.etag_path(key)
            etag_path.parent.mkdir(parents=True, exist_ok=True)
            etag_path.write_text(etag)
            os.replace(assembled.name, target)
        # The object stands, whatever becomes of its parts: a concurrent completion may have removed them
        # first, and what a failed removal leaves in trash/ goes at the next start.
        with contextlib.suppress(StorageError):
            self._discard(upload_id)
        return etag

    @contextlib.contextmanager
    def _assembling(self) -> Iterator[BinaryIO]:
        """A temporary file in assembling/ for an object being joined, locked until it is renamed into place.

        A UCS killed while joining leaves its file unlocked: the sweep at the next start removes those only.
        Unbuffered, so the kernel's copies and any buffered fallback share one file position.
        """
        with tempfile.NamedTemporaryFile(dir=self.assembling_dir, delete=False, buffering=0) as assembled:
            with contextlib.suppress(OSError):  # a filesystem without locks: its leftovers stay
                fcntl.flock(assembled.fileno(), fcntl.LOCK_EX)
            try:
                yield assembled
            except BaseException:
                os.unlink(assembled.name)
                raise

    def _remove_dead_assemblies(self) -> None:
        """Remove what UCS processes killed while joining parts left in assembling/ (files nobody locks)."""
        for path in self.assembling_dir.iterdir():
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:  # renamed into place meanwhile
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # a live assembly, in this process or another
                continue
            else:
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        try:
            stored_key = (self.upload_dir(upload_id) / "key").read_text()
        except FileNotFoundError:
            stored_key = None  # half removed by an older UCS, whose abort stopped midway: remove the rest
        if stored_key is not None and stored_key != key:
            raise UploadNotFound(f"upload {upload_id} is not for key {key}")
        self._discard(upload_id)

    def _discard(self, upload_id: str) -> None:
        """Remove an upload's directory for good, even while its parts are still arriving.

        Removing it in place raced with parts being renamed in: the removal stopped at a file that had
        just appeared or gone, and left the rest on disk forever. Renamed into trash/ first, under the lock
        that every request adding a file holds, the directory can no longer gain files (a part still
        arriving finds its upload gone); what a crash leaves in trash/ goes at the next start.
        """
        doomed = self.trash_dir / f"{upload_id}.{secrets.token_hex(4)}"
        with _still_there(upload_id), self._locked(upload_id, fcntl.LOCK_EX) as directory:
            os.rename(directory, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
        if doomed.exists():
            raise StorageError(f"could not remove all of {doomed}; it is removed when UCS next starts")

    def _empty_trash(self) -> None:
        for path in self.trash_dir.iterdir():
            shutil.rmtree(path, ignore_errors=True)

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

    def head_object(self, key: str) -> ObjectInfo:
        try:
            return ObjectInfo(size=self.object_path(key).stat().st_size, etag=self.etag_path(key).read_text())
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"no object {key}") from None

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise StorageUnavailable(f"storage root {self.root} is not writable")


def _instance_signing_key(root: Path) -> bytes:
    """A random key kept beside the store, created once; link() lets concurrent workers agree on one."""
    path = root / ".signing-key"
    if not path.exists():
        candidate = root / f".signing-key.{os.getpid()}.{secrets.token_hex(4)}"
        candidate.write_bytes(secrets.token_hex(32).encode())
        candidate.chmod(0o600)
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_bytes()


@hookimpl
def ucs_register_storage_backends(registry):
    registry.add("filesystem", FilesystemBackend.from_config)


@hookimpl
def ucs_init_app(app):
    from ucs_plugins.fs_routes import make_blueprint

    backend = app.extensions["ucs.storage"]
    if isinstance(backend, FilesystemBackend):
        app.register_blueprint(make_blueprint(backend))

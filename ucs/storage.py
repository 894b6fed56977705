"""The StorageBackend protocol that every storage plugin implements, its data classes and its exceptions.

Backends translate their SDK's errors (botocore's ClientError, minio's S3Error, OSError, ...) into the
exceptions below, so the service maps storage failures to HTTP in one place and never sees an SDK type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class PresignedRequest:
    """A request the client makes straight to the store, without credentials of its own."""

    url: str
    method: str
    expires_at: datetime
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredPart:
    part_no: int
    etag: str
    size: int


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str


@dataclass(frozen=True)
class StoreUpload:
    """An unfinished multipart upload the store holds."""

    upload_id: str
    #: None when the store no longer knows the key (a filesystem upload half removed by an older UCS).
    key: str | None
    started: datetime


class StorageError(Exception):
    """The store refused or failed an operation; the message says what and why."""


class UploadNotFound(StorageError):
    """The store knows no multipart upload with this id (never created, completed or aborted)."""


class ObjectNotFound(StorageError):
    """The store holds no object under this key."""


class InvalidParts(StorageError):
    """The store refused to complete: a part is missing, too small, or its ETag does not match."""


class StorageUnavailable(StorageError):
    """The store cannot be reached or answered with a server error."""


class UnknownStorageBackend(LookupError):
    """UCS_STORAGE_BACKEND names no registered backend; start-up stops with the names that exist."""


#: The chunk size the built-in backends read an object in. Small, since every reader holds a few chunks
#: besides its buffer (each SDK read copies once or twice): 1 MiB chunks cost 8 readers 13 MiB more RSS.
READ_CHUNK = 256 * 1024


@runtime_checkable
class ByteStream(Protocol):
    """What read_range returns: an iterator of bytes chunks with close(); a generator is one."""

    def __iter__(self) -> Iterator[bytes]: ...

    def __next__(self) -> bytes: ...

    def close(self) -> None:
        """Stop reading and give the connection (or file) back; harmless when done or never started."""


def check_range(start: int, length: int) -> None:
    """Refuse a range no store can answer: read_range's arguments are UCS's own, so this is a bug."""
    if start < 0 or length < 1:
        raise ValueError(f"a range starts at 0 or later and holds at least one byte, not {start}+{length}")


@runtime_checkable
class StorageBackend(Protocol):
    """One object store. Keys are chosen by UCS; upload ids are the store's own opaque strings."""

    name: str
    bucket: str

    def create_multipart_upload(self, key: str) -> str:
        """Start a multipart upload for key and return the store's upload id."""

    def presign_upload_part(
        self, key: str, upload_id: str, part_no: int, expires_in: int
    ) -> PresignedRequest:
        """Return a PUT request that stores part part_no of the upload, valid for expires_in seconds."""

    def presign_upload_parts(
        self, key: str, upload_id: str, part_nos: Sequence[int], expires_in: int
    ) -> list[PresignedRequest]:
        """Return presign_upload_part's request for each of part_nos, in that order, with no store round trip."""

    def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """Return every part stored so far, in part order (all pages of the store's listing)."""

    def complete_multipart_upload(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> str:
        """Assemble the object from (part_no, etag) pairs and return the object's ETag."""

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        """Discard the upload and its stored parts."""

    def head_object(self, key: str) -> ObjectInfo:
        """Return the size and ETag of a completed object."""

    def presign_download(self, key: str, expires_in: int) -> PresignedRequest:
        """Return a GET request for the object that honours Range headers, valid for expires_in seconds."""

    def check(self) -> None:
        """Raise StorageUnavailable when the store cannot serve requests (used by /health)."""

    # --- Reading a completed object back (validation; docs/plugins.md, "Reading objects") ---

    def read_range(self, key: str, start: int, length: int) -> ByteStream:
        """The bytes [start, start + length) of a completed object, as a stream of chunks (READ_CHUNK each).

        A range reaching past the end is cut at the end (a short read); one starting at or past the end
        yields nothing. ObjectNotFound for a missing object and StorageUnavailable for an outage are raised
        while iterating: the request is made for the first chunk. The caller closes the stream (with
        contextlib.closing), which gives its connection back; a stream never iterated holds none.
        """

    # --- End of reading a completed object back ---


@runtime_checkable
class ListsUploads(Protocol):
    """What a backend may add: a listing of its unfinished uploads, so `ucs uploads cleanup` can abort
    those no pending upload accounts for (an abort that never finished, a start that was never recorded)."""

    def list_multipart_uploads(self) -> list[StoreUpload]:
        """Every unfinished multipart upload of the bucket (all pages of the store's listing)."""


def location_of(backend: StorageBackend) -> str:
    """Where a backend keeps its objects, for `ucs run`'s banner: its own words (location()), else its bucket."""
    describe = getattr(backend, "location", None)
    return describe() if callable(describe) else f"bucket {backend.bucket}"


# A factory builds a backend from the app's settings (a mapping of the Flask config).
BackendFactory = Callable[[Mapping[str, Any]], StorageBackend]


class BackendRegistry:
    """What the ucs_register_storage_backends hook receives: plugins call add(name, factory)."""

    def __init__(self) -> None:
        self._factories: dict[str, BackendFactory] = {}

    def add(self, name: str, factory: BackendFactory) -> None:
        """Offer a backend under name; factory(config) builds it when UCS_STORAGE_BACKEND selects it."""
        if name in self._factories:
            raise ValueError(f"two plugins register a storage backend named {name!r}")
        self._factories[name] = factory

    def names(self) -> list[str]:
        return sorted(self._factories)

    def create(self, name: str, config: Mapping[str, Any]) -> StorageBackend:
        """Build the backend registered under name from the settings."""
        try:
            factory = self._factories[name]
        except KeyError:
            raise UnknownStorageBackend(
                f"unknown storage backend {name!r}; available: {', '.join(self.names()) or 'none'}"
            ) from None
        return factory(config)

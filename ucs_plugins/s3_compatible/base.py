"""The skeleton the s3 and minio backends share: one bucket, the SDK's errors translated, URLs signed locally.

A subclass names its SDK's exceptions and how each becomes a neutral one (translate), and does each store
operation with its SDK; the presigning, the part listing, the bucket check and the ETag rules are here.
What a subclass must give is marked abstract: a backend that misses one cannot be made.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ucs.storage import (
    MAX_PRESIGNED_URL_EXPIRY,
    ObjectInfo,
    ObjectNotFound,
    PresignedRequest,
    StorageError,
    StorageUnavailable,
    StoredPart,
    check_range,
)


class S3CompatibleBackend(ABC):
    """A StorageBackend on one bucket of an S3-compatible store, through some SDK's client."""

    name: ClassVar[str]
    #: The exceptions of the SDK (and its HTTP library) that translate() turns into neutral ones.
    sdk_errors: ClassVar[tuple[type[Exception], ...]]

    def __init__(self, client: Any, bucket: str):
        self.client = client
        self.bucket = bucket

    @abstractmethod
    def translate(self, what: str, error: Exception) -> StorageError:
        """The ucs.storage exception for one of sdk_errors raised by the operation described by what."""
        ...

    @contextlib.contextmanager
    def translated_errors(self, what: str) -> Iterator[None]:
        """Let no SDK exception escape: each becomes the neutral exception of ucs.storage it means."""
        try:
            yield
        except self.sdk_errors as error:
            raise self.translate(what, error) from None

    def _presigned(
        self, method: str, expires_in: int, what: str, sign: Callable[[], str]
    ) -> PresignedRequest:
        """The request sign() makes a URL for: the SDK signs locally, with no request to the store."""
        check_expiry(expires_in)
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
        with self.translated_errors(f"presign {what}"):
            url = sign()
        return PresignedRequest(url=url, method=method, expires_at=expires_at)

    def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        with self.translated_errors(f"list parts of {upload_id}"):
            listing = list(self._listed_parts(key, upload_id))
        return newest_copies(listing)

    @abstractmethod
    def _listed_parts(self, key: str, upload_id: str) -> Iterator[tuple[StoredPart, datetime | None]]:
        """Each part as the store lists it, with when it was stored: all pages (1,000 parts each at most)."""
        ...

    # --- The store operations each SDK does its own way (ucs.storage.StorageBackend says what they do) ---

    @abstractmethod
    def create_multipart_upload(self, key: str) -> str: ...

    @abstractmethod
    def presign_upload_part(
        self, key: str, upload_id: str, part_no: int, expires_in: int
    ) -> PresignedRequest: ...

    @abstractmethod
    def presign_upload_parts(
        self, key: str, upload_id: str, part_nos: Sequence[int], expires_in: int
    ) -> list[PresignedRequest]: ...

    @abstractmethod
    def presign_download(self, key: str, expires_in: int) -> PresignedRequest: ...

    @abstractmethod
    def complete_multipart_upload(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> str: ...

    @abstractmethod
    def abort_multipart_upload(self, key: str, upload_id: str) -> None: ...

    @abstractmethod
    def head_object(self, key: str) -> ObjectInfo: ...

    @abstractmethod
    def delete_object(self, key: str) -> None: ...

    # --- Reading a completed object back: a ranged GetObject ---

    def read_range(self, key: str, start: int, length: int) -> Iterator[bytes]:
        check_range(start, length)  # at the call: a bad range is UCS's bug, not the store's answer
        return self._range_chunks(key, start, length)

    def _range_chunks(self, key: str, start: int, length: int) -> Iterator[bytes]:
        what = f"read {key} bytes {start}-{start + length - 1}"
        with self.translated_errors(what):
            body = self._get_range(key, start, length)
            if body is None:
                return
            try:
                yield from self._chunks(body)
            finally:
                self._release(body)

    @abstractmethod
    def _get_range(self, key: str, start: int, length: int) -> Any:
        """The SDK's response body for GetObject with Range: bytes=start-(start+length-1); None when the
        range starts at or past the end (the store answers 416)."""
        ...

    @abstractmethod
    def _chunks(self, body: Any) -> Iterator[bytes]: ...

    @abstractmethod
    def _release(self, body: Any) -> None:
        """Close the body: a body read to its end has already given its connection back to the pool."""
        ...

    # --- End of reading a completed object back ---

    def check(self) -> None:
        try:
            with self.translated_errors(f"bucket {self.bucket}"):
                exists = self._bucket_exists()
        except ObjectNotFound:
            exists = False
        if not exists:
            raise StorageUnavailable(f"bucket {self.bucket} does not exist")

    @abstractmethod
    def _bucket_exists(self) -> bool: ...


def check_expiry(expires_in: int) -> None:
    """Refuse an expiry the store would refuse when the URL is used (SigV4 allows 7 days at most)."""
    if not 1 <= expires_in <= MAX_PRESIGNED_URL_EXPIRY:
        raise StorageError(
            f"presigned URL expiry {expires_in} s is outside 1..{MAX_PRESIGNED_URL_EXPIRY} s (7 days)"
        )


def quoted(etag: str) -> str:
    """ETags as S3 sends them: in double quotes (minio's SDK strips them)."""
    etag = etag.strip()
    return etag if etag.startswith('"') else f'"{etag}"'


def newest_copies(listing: Iterable[tuple[StoredPart, datetime | None]]) -> list[StoredPart]:
    """One entry per part number, in part order, from (part, last modified) pairs.

    AWS and MinIO list each part once. SeaweedFS lists every copy of a part that was sent more than once,
    in no fixed order, with timestamps of one-second resolution; the newest copy is kept, and on a tie the
    last one listed. Copies of a retried part usually hold the same bytes, so they agree on ETag and size.
    """
    newest: dict[int, tuple[StoredPart, datetime | None]] = {}
    for part, modified in listing:
        kept = newest.get(part.part_no)
        if kept is None or kept[1] is None or modified is None or modified >= kept[1]:
            newest[part.part_no] = (part, modified)
    return [newest[number][0] for number in sorted(newest)]

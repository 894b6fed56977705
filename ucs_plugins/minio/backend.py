"""The minio storage backend on the minio SDK: MinIO and other S3-compatible stores.

Part URLs come from the SDK's public ``get_presigned_url`` with ``uploadId`` and ``partNumber``. The SDK
offers CreateMultipartUpload, ListParts, CompleteMultipartUpload and AbortMultipartUpload only as
non-public methods (``_create_multipart_upload``, ``_list_parts``, ``_complete_multipart_upload``,
``_abort_multipart_upload``). Their signatures, and the fields of ``Part``, ``ListPartsResult`` and
``S3Error`` used here, were read in minio 7.2.0 and tested with 7.2.20 (tests/contract); pyproject.toml pins
``minio>=7.2.0,<7.3`` for that reason. Run the contract suite before widening the pin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.error import InvalidResponseError, S3Error, ServerError

from ucs.storage import (
    READ_CHUNK,
    ObjectInfo,
    PresignedRequest,
    StorageError,
    StorageUnavailable,
    StoredPart,
)
from ucs.uploads import normalize_etag
from ucs_plugins.s3_compatible.base import S3CompatibleBackend, quoted
from ucs_plugins.s3_compatible.errors import neutral_error


def make_client(config: Mapping[str, Any]) -> Minio:
    """A Minio client from the S3_* settings; the endpoint URL's scheme decides TLS."""
    endpoint = urlsplit(config.get("S3_ENDPOINT_URL") or "https://s3.amazonaws.com")
    # The SDK's own pool waits 5 minutes per request; a health check or a refused start-up should not.
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=10, read=60),
        retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )
    return Minio(
        endpoint.netloc,
        access_key=config.get("S3_ACCESS_KEY_ID"),
        secret_key=config.get("S3_SECRET_ACCESS_KEY"),
        secure=endpoint.scheme == "https",
        # A known region spares the SDK a GetBucketLocation call before each presigning.
        region=config.get("S3_REGION") or "us-east-1",
        http_client=http,
    )


class MinioBackend(S3CompatibleBackend):
    name = "minio"
    sdk_errors = (S3Error, ServerError, InvalidResponseError, urllib3.exceptions.HTTPError)

    def translate(self, what: str, error: Exception) -> StorageError:
        """The minio SDK's and urllib3's exceptions as the neutral exceptions of ucs.storage."""
        if isinstance(error, S3Error):
            return neutral_error(what, error.code or "", error.message or "", error.response.status)
        if isinstance(error, ServerError):
            return StorageUnavailable(f"{what}: the store answered {error.status_code}")
        if isinstance(error, InvalidResponseError):
            return StorageError(f"{what}: {error}")
        return StorageUnavailable(f"{what}: {error}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MinioBackend:
        backend = cls(make_client(config), config["S3_BUCKET"])
        if config.get("S3_CREATE_BUCKET"):
            backend.ensure_bucket()
        return backend

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (start-up, when S3_CREATE_BUCKET is set)."""
        with self.translated_errors(f"create bucket {self.bucket}"):
            if not self.client.bucket_exists(self.bucket):
                with contextlib.suppress(S3Error):  # created by a concurrent worker
                    self.client.make_bucket(self.bucket)

    def create_multipart_upload(self, key: str) -> str:
        with self.translated_errors(f"create multipart upload for {key}"):
            return self.client._create_multipart_upload(self.bucket, key, {})

    def presign_upload_part(
        self, key: str, upload_id: str, part_no: int, expires_in: int
    ) -> PresignedRequest:
        query = {"uploadId": upload_id, "partNumber": str(part_no)}
        return self._presign("PUT", key, expires_in, query)

    def presign_upload_parts(
        self, key: str, upload_id: str, part_nos: Sequence[int], expires_in: int
    ) -> list[PresignedRequest]:
        # The SDK signs locally once it knows the region (set from UCS_S3_REGION): no store round trip.
        return [self.presign_upload_part(key, upload_id, part_no, expires_in) for part_no in part_nos]

    def presign_download(self, key: str, expires_in: int) -> PresignedRequest:
        return self._presign("GET", key, expires_in)

    def _presign(
        self, method: str, key: str, expires_in: int, query: dict[str, str] | None = None
    ) -> PresignedRequest:
        def sign() -> str:
            return self.client.get_presigned_url(
                method, self.bucket, key, expires=timedelta(seconds=expires_in), extra_query_params=query
            )

        return self._presigned(method, expires_in, f"{method} {key}", sign)

    def _listed_parts(self, key: str, upload_id: str) -> Iterator[tuple[StoredPart, datetime | None]]:
        marker: str | None = None
        while True:  # follow NextPartNumberMarker to the end
            page = self.client._list_parts(self.bucket, key, upload_id, part_number_marker=marker)
            for p in page.parts:
                yield StoredPart(p.part_number, quoted(p.etag), p.size or 0), p.last_modified
            if not page.is_truncated or not page.next_part_number_marker:
                return
            marker = page.next_part_number_marker

    def complete_multipart_upload(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> str:
        # The SDK puts the quotes around each ETag itself.
        listing = [Part(number, normalize_etag(etag)) for number, etag in parts]
        with self.translated_errors(f"complete {upload_id}"):
            result = self.client._complete_multipart_upload(self.bucket, key, upload_id, listing)
        return quoted(result.etag or "")

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        with self.translated_errors(f"abort {upload_id}"):
            self.client._abort_multipart_upload(self.bucket, key, upload_id)

    def head_object(self, key: str) -> ObjectInfo:
        with self.translated_errors(f"head {key}"):
            stat = self.client.stat_object(self.bucket, key)
        return ObjectInfo(size=stat.size or 0, etag=quoted(stat.etag or ""))

    # --- Reading a completed object back ---

    def _get_range(self, key: str, start: int, length: int) -> Any:
        try:
            return self.client.get_object(self.bucket, key, offset=start, length=length)
        except S3Error as error:
            if error.response.status == 416:
                return None
            raise

    def _chunks(self, body: Any) -> Iterator[bytes]:
        # urllib3 raises ProtocolError (IncompleteRead) when the body ends before Content-Length.
        return body.stream(READ_CHUNK)

    def _release(self, body: Any) -> None:
        body.close()
        body.release_conn()

    # --- End of reading a completed object back ---

    def delete_object(self, key: str) -> None:
        # RemoveObject succeeds whether or not the key held an object.
        with self.translated_errors(f"delete {key}"):
            self.client.remove_object(self.bucket, key)

    def _bucket_exists(self) -> bool:
        return self.client.bucket_exists(self.bucket)

"""The s3 storage backend on boto3: AWS S3 and S3-compatible stores (SeaweedFS, Ceph, MinIO, ...).

Its part URLs come from part_signer.py, which signs a batch without boto3's per-URL work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import boto3
from botocore.client import Config
from botocore.exceptions import BotoCoreError, ClientError

from ucs.storage import (
    READ_CHUNK,
    ObjectInfo,
    PresignedRequest,
    StorageError,
    StorageUnavailable,
    StoredPart,
    StoreUpload,
)
from ucs.uploads import normalize_etag
from ucs_plugins.s3.part_signer import PartSigner
from ucs_plugins.s3_compatible.base import S3CompatibleBackend, check_expiry, quoted
from ucs_plugins.s3_compatible.errors import neutral_error


class S3Backend(S3CompatibleBackend):
    name = "s3"
    # EndpointConnectionError and the other failures to reach the store are BotoCoreErrors.
    sdk_errors = (ClientError, BotoCoreError)

    def __init__(self, client: Any, bucket: str, part_signer: PartSigner | None = None):
        super().__init__(client, bucket)
        self.part_signer = part_signer

    def translate(self, what: str, error: Exception) -> StorageError:
        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "")
            message = error.response.get("Error", {}).get("Message") or code
            return neutral_error(what, code, message, _status(error))
        return StorageUnavailable(f"{what}: {error}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> S3Backend:
        # Credentials on the session (not only the client), so the part signer signs with the same ones.
        session = boto3.session.Session(
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID"),
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
        )
        client = session.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region_name=config.get("S3_REGION"),
            # boto3 presigns with SigV2 unless told otherwise; path style works on every S3-compatible store.
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 4, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
            ),
        )
        signer = PartSigner(session, client.meta.endpoint_url, config["S3_BUCKET"], client.meta.region_name)
        backend = cls(client, config["S3_BUCKET"], signer)
        if config.get("S3_CREATE_BUCKET"):
            backend.ensure_bucket(config.get("S3_REGION"))
        return backend

    def ensure_bucket(self, region: str | None) -> None:
        """Create the bucket unless it exists (start-up, when S3_CREATE_BUCKET is set)."""
        with self.translated_errors(f"bucket {self.bucket}"):
            try:
                self.client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as error:
                if _status(error) != 404:
                    raise
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if region and region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        with self.translated_errors(f"create bucket {self.bucket}"):
            try:
                self.client.create_bucket(**kwargs)
            except ClientError as error:
                if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    def create_multipart_upload(self, key: str) -> str:
        with self.translated_errors(f"create multipart upload for {key}"):
            return self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]

    def presign_upload_part(
        self, key: str, upload_id: str, part_no: int, expires_in: int
    ) -> PresignedRequest:
        [signed] = self.presign_upload_parts(key, upload_id, [part_no], expires_in)
        return signed

    def presign_upload_parts(
        self, key: str, upload_id: str, part_nos: Sequence[int], expires_in: int
    ) -> list[PresignedRequest]:
        # Signed locally, no request to the store; the part signer skips boto3's per-URL overhead.
        check_expiry(expires_in)
        if self.part_signer is not None and self.part_signer.available():
            with self.translated_errors(f"presign parts of {upload_id}"):
                return self.part_signer.sign(key, upload_id, part_nos, expires_in)
        return [
            self._presign(
                "upload_part",
                {"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_no},
                "PUT",
                expires_in,
            )
            for part_no in part_nos
        ]

    def presign_download(self, key: str, expires_in: int) -> PresignedRequest:
        return self._presign("get_object", {"Bucket": self.bucket, "Key": key}, "GET", expires_in)

    def _presign(self, operation: str, params: dict, method: str, expires_in: int) -> PresignedRequest:
        def sign() -> str:
            return self.client.generate_presigned_url(
                operation, Params=params, ExpiresIn=expires_in, HttpMethod=method
            )

        return self._presigned(method, expires_in, operation, sign)

    def _listed_parts(self, key: str, upload_id: str) -> Iterator[tuple[StoredPart, datetime | None]]:
        # The paginator follows NextPartNumberMarker.
        pages = self.client.get_paginator("list_parts").paginate(
            Bucket=self.bucket, Key=key, UploadId=upload_id
        )
        for page in pages:
            for p in page.get("Parts", []):
                yield StoredPart(p["PartNumber"], p["ETag"], p["Size"]), p.get("LastModified")

    def list_multipart_uploads(self) -> list[StoreUpload]:
        with self.translated_errors(f"list multipart uploads of bucket {self.bucket}"):
            # ListMultipartUploads answers at most 1,000 uploads a page; the paginator follows the markers.
            pages = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket)
            return [
                StoreUpload(upload["UploadId"], upload["Key"], upload["Initiated"])
                for page in pages
                for upload in page.get("Uploads", [])
            ]

    def complete_multipart_upload(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> str:
        listing = [{"PartNumber": number, "ETag": quoted(normalize_etag(etag))} for number, etag in parts]
        with self.translated_errors(f"complete {upload_id}"):
            answer = self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listing}
            )
        return answer["ETag"]

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        with self.translated_errors(f"abort {upload_id}"):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def head_object(self, key: str) -> ObjectInfo:
        with self.translated_errors(f"head {key}"):
            answer = self.client.head_object(Bucket=self.bucket, Key=key)
        return ObjectInfo(size=answer["ContentLength"], etag=answer["ETag"])

    # --- Reading a completed object back ---

    def _get_range(self, key: str, start: int, length: int) -> Any:
        try:
            answer = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{start + length - 1}"
            )
        except ClientError as error:
            if _status(error) == 416:
                return None
            raise
        return answer["Body"]

    def _chunks(self, body: Any) -> Iterator[bytes]:
        # botocore's StreamingBody raises IncompleteReadError when the body ends before Content-Length.
        return body.iter_chunks(READ_CHUNK)

    def _release(self, body: Any) -> None:
        body.close()

    # --- End of reading a completed object back ---

    def _bucket_exists(self) -> bool:
        self.client.head_bucket(Bucket=self.bucket)  # a missing bucket answers 404: ObjectNotFound
        return True


def _status(error: ClientError) -> int:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)

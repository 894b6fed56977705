"""An example UCS plugin: the storage backend ``prefixed-s3``, an S3 bucket with all keys under one prefix.

It reuses UCS's own s3 backend and only changes the keys, to show the whole life of a plugin: a hook
implementation, a factory that builds the backend from the settings, and the StorageBackend methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ucs.hookspecs import hookimpl
from ucs.storage import ByteStream, ObjectInfo, PresignedRequest, StorageBackend, StoredPart
from ucs_plugins.s3 import S3Backend

DEFAULT_PREFIX = "ucs/"


class PrefixedS3Backend:
    """Every key UCS chooses is stored as prefix + key in the configured S3 bucket."""

    name = "prefixed-s3"

    def __init__(self, inner: StorageBackend, prefix: str):
        self.inner = inner
        self.bucket = inner.bucket
        self.prefix = prefix

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PrefixedS3Backend:
        return cls(S3Backend.from_config(config), config.get("EXAMPLE_KEY_PREFIX") or DEFAULT_PREFIX)

    def create_multipart_upload(self, key: str) -> str:
        return self.inner.create_multipart_upload(self.prefix + key)

    def presign_upload_part(
        self, key: str, upload_id: str, part_no: int, expires_in: int
    ) -> PresignedRequest:
        return self.inner.presign_upload_part(self.prefix + key, upload_id, part_no, expires_in)

    def presign_upload_parts(
        self, key: str, upload_id: str, part_nos: Sequence[int], expires_in: int
    ) -> list[PresignedRequest]:
        return self.inner.presign_upload_parts(self.prefix + key, upload_id, part_nos, expires_in)

    def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        return self.inner.list_parts(self.prefix + key, upload_id)

    def complete_multipart_upload(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> str:
        return self.inner.complete_multipart_upload(self.prefix + key, upload_id, parts)

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        self.inner.abort_multipart_upload(self.prefix + key, upload_id)

    def head_object(self, key: str) -> ObjectInfo:
        return self.inner.head_object(self.prefix + key)

    def presign_download(self, key: str, expires_in: int) -> PresignedRequest:
        return self.inner.presign_download(self.prefix + key, expires_in)

    def check(self) -> None:
        self.inner.check()

    def read_range(self, key: str, start: int, length: int) -> ByteStream:
        return self.inner.read_range(self.prefix + key, start, length)


@hookimpl
def ucs_register_storage_backends(registry):
    registry.add("prefixed-s3", PrefixedS3Backend.from_config)

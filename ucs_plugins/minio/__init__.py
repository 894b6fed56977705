"""The minio plugin: the minio storage backend, on the minio SDK. Its settings are the UCS_S3_* ones."""

from ucs.hookspecs import hookimpl
from ucs_plugins.minio.backend import MinioBackend
from ucs_plugins.s3_compatible.settings import S3_SETTINGS

__all__ = ["MinioBackend"]


@hookimpl
def ucs_add_settings(settings):
    settings.add(*S3_SETTINGS)


@hookimpl
def ucs_register_storage_backends(registry):
    registry.add("minio", MinioBackend.from_config)

"""The s3 plugin: the s3 storage backend, on boto3. Its settings are the UCS_S3_* ones it shares with minio."""

from ucs.hookspecs import hookimpl
from ucs_plugins.s3.backend import S3Backend
from ucs_plugins.s3_compatible.settings import S3_SETTINGS

__all__ = ["S3Backend"]


@hookimpl
def ucs_add_settings(settings):
    settings.add(*S3_SETTINGS)


@hookimpl
def ucs_register_storage_backends(registry):
    registry.add("s3", S3Backend.from_config)

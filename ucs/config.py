"""UCS's own settings, declared as plugins declare theirs (ucs/settings.py); ``UCS_<KEY>`` overrides each.

Access control's settings are declared in ucs/auth/settings.py, DRS's in ucs/api/drs/settings.py, the
relay's in ucs/events/relay.py, and each plugin's by the plugin. The full list, with meanings, is in
docs/configuration.md; a test keeps the two in step.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from ucs.settings import ConfigError, Setting
from ucs.storage import MAX_PRESIGNED_URL_EXPIRY
from ucs.uploads import MAX_PART_SIZE

__all__ = ["CORE_SETTINGS", "ConfigError", "MAX_PRESIGNED_URL_EXPIRY"]

# The largest legal request, a completion listing 10,000 parts with 128-character ETags, takes about
# 1.6 MB: a body limit below this would refuse it.
MIN_JSON_BODY_SIZE = 2 * 1024 * 1024
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _database_url(url: str | None, instance_path: str) -> str | None:
    if url is not None:
        try:
            make_url(url).get_dialect()
        except NoSuchModuleError as error:  # names the driver, never the URL
            raise ConfigError(f"UCS_DATABASE_URL is not a database URL UCS can use: {error}") from None
        except (ArgumentError, ValueError):  # their messages may repeat the URL, password and all
            raise ConfigError(
                "UCS_DATABASE_URL is not a database URL UCS can use: expected "
                "dialect+driver://user:password@host:port/database, with a numeric port"
            ) from None
    return url


def _part_size(size: Any, instance_path: str) -> int:
    if not (isinstance(size, int) and 1 <= size <= MAX_PART_SIZE):
        raise ConfigError(
            f"UCS_PART_SIZE must be a whole number of bytes from 1 to {MAX_PART_SIZE}, not {size!r}"
        )
    return size


def _presigned_url_expiry(expiry: Any, instance_path: str) -> int:
    if not (isinstance(expiry, int) and 1 <= expiry <= MAX_PRESIGNED_URL_EXPIRY):
        raise ConfigError(
            f"UCS_PRESIGNED_URL_EXPIRY must be a whole number of seconds from 1 to {MAX_PRESIGNED_URL_EXPIRY} "
            f"(7 days, SigV4's limit), not {expiry!r}"
        )
    return expiry


def _max_json_body_size(size: Any, instance_path: str) -> int:
    if not (isinstance(size, int) and size >= MIN_JSON_BODY_SIZE):
        raise ConfigError(
            f"UCS_MAX_JSON_BODY_SIZE must be a whole number of bytes of at least {MIN_JSON_BODY_SIZE} "
            f"(room for a completion of 10,000 parts), not {size!r}"
        )
    return size


def _log_format(name: Any, instance_path: str) -> str:
    if name not in LOG_FORMATS:
        raise ConfigError(f"UCS_LOG_FORMAT must be json or text, not {name!r}")
    return name


def _log_level(name: Any, instance_path: str) -> str:
    if name not in LOG_LEVELS:
        raise ConfigError(f"UCS_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {name!r}")
    return name


CORE_SETTINGS = (
    # SQLAlchemy URL. None means a SQLite file in the instance directory (the embedded default).
    Setting("DATABASE_URL", None, resolve=_database_url),
    # Storage backend by name: filesystem, s3, minio, or a third-party plugin's. Each backend's own
    # settings (UCS_FILESYSTEM_ROOT, UCS_S3_BUCKET, ...) are declared by its plugin.
    Setting("STORAGE_BACKEND", "filesystem"),
    # `ucs run` and `ucs serve` stop at start when the store does not answer; off where it starts after UCS.
    Setting("STORAGE_CHECK_AT_START", True),
    Setting("PART_SIZE", 16 * 1024 * 1024, resolve=_part_size),
    Setting("PRESIGNED_URL_EXPIRY", 3600, resolve=_presigned_url_expiry),
    # Bytes of a JSON request body UCS reads at most; a larger one is refused with 413 before it is read.
    Setting("MAX_JSON_BODY_SIZE", 4 * 1024 * 1024, resolve=_max_json_body_size),
    # Storage backends and event publishers are plugins; these names are never loaded.
    Setting("BLOCKED_PLUGINS", []),
    # Load third-party plugins from the entry point group "ucs".
    Setting("LOAD_ENTRY_POINTS", True),
    # Log line format: json or text. `ucs serve` makes json the default (docs/operations.md, "Logs").
    Setting("LOG_FORMAT", "text", resolve=_log_format),
    # The least severe log lines written.
    Setting("LOG_LEVEL", "INFO", resolve=_log_level),
    # flask-smorest: the OpenAPI document and the offline Swagger UI at /docs.
    Setting("API_TITLE", "UCS: Upload Controller Service"),
    Setting("API_VERSION", "v1"),
    Setting("OPENAPI_VERSION", "3.0.3"),
    Setting("OPENAPI_URL_PREFIX", "/"),
    Setting("OPENAPI_JSON_PATH", "openapi.json"),
    Setting("OPENAPI_SWAGGER_UI_PATH", "/docs"),
    Setting("OPENAPI_SWAGGER_UI_URL", "/docs/assets/"),
    # No validator badge: Swagger UI would otherwise send the spec's URL to validator.swagger.io.
    Setting("OPENAPI_SWAGGER_UI_CONFIG", {"validatorUrl": None}),
)

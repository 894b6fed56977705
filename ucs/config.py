"""UCS's own settings and their defaults; an environment variable ``UCS_<KEY>`` overrides each.

Plugins declare their own settings (ucs/plugin_settings.py). The full list, with meanings, is in
docs/configuration.md; a test keeps the two in step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, MutableMapping
from typing import Any

from ucs.uploads import MAX_PART_SIZE

# SigV4 presigned URLs live 7 days at most; no store should hand out longer-lived ones.
MAX_PRESIGNED_URL_EXPIRY = 7 * 24 * 3600

# The largest legal request, a completion listing 10,000 parts with 128-character ETags, takes about
# 1.6 MB: a body limit below this would refuse it.
MIN_JSON_BODY_SIZE = 2 * 1024 * 1024
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Every setting's environment variable is UCS_<KEY>; this one says where the instance directory is instead.
ENVIRONMENT_PREFIX = "UCS_"
INSTANCE_PATH_VARIABLE = "UCS_INSTANCE_PATH"

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class ConfigError(ValueError):
    """A setting has a value UCS cannot use; the message names the variable and what it expects."""


class DefaultConfig:
    # SQLAlchemy URL. None means a SQLite file in the instance directory (the embedded default).
    DATABASE_URL = None
    # Storage backend by name: filesystem, s3, minio, or a third-party plugin's. Each backend's own
    # settings (UCS_STORAGE_ROOT, UCS_S3_BUCKET, ...) are declared by its plugin (ucs.plugin_settings).
    STORAGE_BACKEND = "filesystem"

    # Access control (docs/security.md). Trusted token issuers: a JSON list of {"issuer", "jwks_url"} or
    # {"issuer", "jwks_file"}. Empty: UCS is its own issuer, with a key kept in the instance directory.
    AUTH_ISSUERS: list[dict] = []
    # A token's aud claim must contain this.
    AUTH_AUDIENCE = "ucs"
    # The signature algorithms accepted; asymmetric ones only.
    AUTH_ALGORITHMS = ["ES256", "RS256", "EdDSA"]
    # Seconds of clock difference allowed when checking exp, nbf and iat.
    AUTH_LEEWAY = 30
    # Seconds a fetched JWKS is used before it is fetched again.
    AUTH_JWKS_MAX_AGE = 300
    # Seconds at least between two fetches of one issuer's JWKS caused by tokens with an unknown kid.
    AUTH_JWKS_REFRESH_INTERVAL = 10.0
    # The key file `ucs tokens issue` signs with (made by `ucs tokens keygen`). None: the built-in issuer's.
    AUTH_SIGNING_KEY = None
    # Bytes of memory (estimated) the verified tokens a worker remembers may take; 0: none is remembered.
    # 32 MiB: thousands of ordinary tokens, about 300 with 800 scopes each.
    AUTH_VERIFIED_CACHE_BYTES = 32 * 1024 * 1024
    # Turn access control off, for trusted networks only: every request may do anything.
    AUTH_DISABLED = False
    # With access control off, `ucs serve` and `ucs run` listen on loopback (or a unix socket) only, unless
    # this says every caller on the network is trusted.
    AUTH_DISABLED_ALLOW_REMOTE = False

    PART_SIZE = 16 * 1024 * 1024
    PRESIGNED_URL_EXPIRY = 3600
    # Bytes of a JSON request body UCS reads at most; a larger one is refused with 413 before it is read.
    MAX_JSON_BODY_SIZE = 4 * 1024 * 1024

    # Validation (docs/validation.md): builtin (UCS reads every object back and judges it), external (the
    # verdict comes as a file.upload_validated event) or none (uploaded is final).
    VALIDATION = "builtin"
    # Serve (downloads and DRS) only files whose upload was accepted: true or false; unset, it follows
    # VALIDATION (true for builtin, false for external and none). UCS_DRS_ACCEPTED_ONLY is its older name.
    ACCEPTED_ONLY = None
    # Seconds a validator holds an object it reads; it renews the lease while reading. Another validator
    # takes over an object whose lease ran out (its validator was killed).
    VALIDATION_LEASE = 60.0
    # Objects one validator reads at once, and parallel ranged reads per object, and their size in bytes.
    VALIDATION_CONCURRENCY = 2
    VALIDATION_READERS = 4
    VALIDATION_RANGE_SIZE = 16 * 1024 * 1024
    # Seconds before an object whose store was unavailable is read again; doubles up to the maximum.
    VALIDATION_RETRY_DELAY = 5.0
    VALIDATION_RETRY_MAX_DELAY = 600.0
    # Seconds a validator waits before looking again when nothing is waiting.
    VALIDATION_POLL_INTERVAL = 1.0
    # The validator's name in the verdicts (validated_by) and leases. None: <host>:<pid>.
    VALIDATOR_ID = None
    # The Retry-After (seconds) of an answer about a file whose verdict is pending.
    VALIDATION_RETRY_AFTER = 5

    # GA4GH DRS (docs/drs.md). The host of self_uri, drs://<host>/<id>. None: the host of the request.
    DRS_HOSTNAME = None
    # The older name of ACCEPTED_ONLY, from when it applied to DRS only; it now applies to downloads too.
    DRS_ACCEPTED_ONLY = None
    # The most ids one bulk request may name (maxBulkRequestLength in service-info); more is a 413.
    DRS_MAX_BULK_REQUEST_LENGTH = 100
    # service-info: the service's id and the organization that runs it. URL None: the service's own.
    DRS_SERVICE_ID = "ucs.drs"
    DRS_ORGANIZATION_NAME = "UCS"
    DRS_ORGANIZATION_URL = None

    # Storage backends and event publishers are plugins; these names are never loaded.
    BLOCKED_PLUGINS: list[str] = []
    # Load third-party plugins from the entry point group "ucs".
    LOAD_ENTRY_POINTS = True

    # Log line format: json or text. `ucs serve` makes json the default (docs/operations.md, "Logs").
    LOG_FORMAT = "text"
    # The least severe log lines written.
    LOG_LEVEL = "INFO"

    # RabbitMQ URL (amqp://user:password@host:5672/vhost). None: events wait in the outbox (docs/events.md).
    AMQP_URL = None
    # The durable topic exchange events are published to and consumed from; routing key = event type.
    EVENTS_EXCHANGE = "ucs"
    # `ucs events consume`: the durable queue it reads, bound to the exchange for the consumed event types.
    EVENTS_QUEUE = "ucs.consumer"
    # Where messages the consumer cannot handle go, with the reason in the header x-ucs-dead-letter-reason.
    EVENTS_DEAD_LETTER_EXCHANGE = "ucs.dead-letter"
    EVENTS_DEAD_LETTER_QUEUE = "ucs.dead-letter"
    # The relay publishes at most this many outbox rows per transaction.
    EVENTS_RELAY_BATCH_SIZE = 100
    # Seconds the relay waits before looking at the outbox again when it found nothing to publish.
    EVENTS_RELAY_POLL_INTERVAL = 1.0
    # Seconds the relay and consumer wait at most between reconnection attempts (the wait doubles up to this).
    EVENTS_RETRY_MAX_DELAY = 30.0
    # Run the relay in a thread of the web server (`ucs run`) when AMQP_URL is set. Off: run `ucs events relay`.
    EVENTS_RELAY_IN_SERVER = False

    # flask-smorest: the OpenAPI document and the offline Swagger UI at /docs.
    API_TITLE = "UCS: Upload Controller Service"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"
    # No validator badge: Swagger UI would otherwise send the spec's URL to validator.swagger.io.
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}


def core_keys() -> frozenset[str]:
    """The names of UCS's own settings."""
    return frozenset(key for key in dir(DefaultConfig) if key.isupper())


def read_environment(config: MutableMapping[str, Any], environ: Mapping[str, str]) -> None:
    """Read UCS_<KEY> variables, typed like the key's default in config (bool, int, float, list, dict) or str."""
    for name, text in environ.items():
        if name.startswith(ENVIRONMENT_PREFIX) and name != INSTANCE_PATH_VARIABLE:
            key = name[len(ENVIRONMENT_PREFIX) :]
            config[key] = parse_setting(name, text, config.get(key))


def parse_setting(name: str, text: str, default: Any) -> Any:
    """Turn the text of environment variable name into the type of the setting's default."""
    value = text.strip()
    if isinstance(default, bool):
        if value.lower() not in TRUE_WORDS + FALSE_WORDS:
            raise ConfigError(f"{name} must be true or false (or 1/0, yes/no, on/off), not {text!r}")
        return value.lower() in TRUE_WORDS
    if isinstance(default, int | float):
        kind = type(default)
        try:
            return kind(value)
        except ValueError:
            expected = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{name} must be {expected} (default {default}), not {text!r}") from None
    if isinstance(default, list):
        if value.startswith(("[", "{")):  # JSON (an object is the mistake of a missing list)
            return _json_setting(name, text, list, "a JSON list")
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(default, dict):
        return _json_setting(name, text, dict, "a JSON object")
    return text


def _json_setting(name: str, text: str, kind: type, expected: str) -> Any:
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if not isinstance(parsed, kind):
        raise ConfigError(f"{name} must be {expected}, not {text!r}")
    return parsed


def check_limits(config: Mapping[str, Any]) -> None:
    """Refuse settings that no store could work with, before anything is served."""
    part_size = config["PART_SIZE"]
    if not (isinstance(part_size, int) and 1 <= part_size <= MAX_PART_SIZE):
        raise ConfigError(
            f"UCS_PART_SIZE must be a whole number of bytes from 1 to {MAX_PART_SIZE}, not {part_size!r}"
        )
    expiry = config["PRESIGNED_URL_EXPIRY"]
    if not (isinstance(expiry, int) and 1 <= expiry <= MAX_PRESIGNED_URL_EXPIRY):
        raise ConfigError(
            f"UCS_PRESIGNED_URL_EXPIRY must be a whole number of seconds from 1 to {MAX_PRESIGNED_URL_EXPIRY} "
            f"(7 days, SigV4's limit), not {expiry!r}"
        )
    body_size = config["MAX_JSON_BODY_SIZE"]
    if not (isinstance(body_size, int) and body_size >= MIN_JSON_BODY_SIZE):
        raise ConfigError(
            f"UCS_MAX_JSON_BODY_SIZE must be a whole number of bytes of at least {MIN_JSON_BODY_SIZE} "
            f"(room for a completion of 10,000 parts), not {body_size!r}"
        )
    if config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigError(f"UCS_LOG_FORMAT must be json or text, not {config['LOG_FORMAT']!r}")
    if config["LOG_LEVEL"] not in LOG_LEVELS:
        raise ConfigError(
            f"UCS_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {config['LOG_LEVEL']!r}"
        )

"""Default settings. Every key can be overridden by an environment variable ``UCS_<KEY>``.

The full list, with meanings, is in docs/configuration.md; a test keeps the two in step.
"""


class DefaultConfig:
    # SQLAlchemy URL. None means a SQLite file in the instance directory (the embedded default).
    DATABASE_URL = None
    # Storage backend by name: filesystem, s3, minio, or a third-party plugin's.
    STORAGE_BACKEND = "filesystem"
    # Filesystem backend: where parts and objects live. None means instance/storage.
    STORAGE_ROOT = None
    # Filesystem backend: the key that signs its presigned URLs. None means one kept in the instance directory.
    STORAGE_SIGNING_KEY = None
    # Base URL that clients reach UCS on, for URLs UCS signs for itself. None means the request's own host.
    PUBLIC_URL = None

    S3_ENDPOINT_URL = None
    S3_REGION = "us-east-1"
    S3_BUCKET = "ucs"
    S3_ACCESS_KEY_ID = None
    S3_SECRET_ACCESS_KEY = None
    # Create the bucket at start-up when it does not exist.
    S3_CREATE_BUCKET = False

    PART_SIZE = 16 * 1024 * 1024
    PRESIGNED_URL_EXPIRY = 3600

    # Storage backends and event publishers are plugins; these names are never loaded.
    BLOCKED_PLUGINS: list[str] = []
    # Load third-party plugins from the entry point group "ucs".
    LOAD_ENTRY_POINTS = True

    AMQP_URL = None
    EVENTS_EXCHANGE = "ucs"

    # flask-smorest: the OpenAPI document and the offline Swagger UI at /docs.
    API_TITLE = "UCS: Upload Controller Service"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"

    JSON_SORT_KEYS = False

"""The UCS_S3_* settings, declared alike by the s3 and minio plugins (docs/configuration.md)."""

from ucs.plugin_settings import Setting

S3_SETTINGS = (
    # The S3 endpoint. None: AWS's own.
    Setting("S3_ENDPOINT_URL", None),
    Setting("S3_REGION", "us-east-1"),
    Setting("S3_BUCKET", "ucs"),
    # None: the SDK's own credential chain. The access key id is in every presigned URL; kept out of logs all the same.
    Setting("S3_ACCESS_KEY_ID", None, secret=True),
    Setting("S3_SECRET_ACCESS_KEY", None, secret=True),
    # Create the bucket at start-up when it does not exist.
    Setting("S3_CREATE_BUCKET", False),
)

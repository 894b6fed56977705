"""What the s3 and minio plugins share: the S3-compatible backend skeleton, its settings, its error codes.

Not a plugin itself: each of the two registers its own backend on its own SDK (docs/architecture.md,
"Plugins"), as warehouse's S3 storages share GenericS3BlobStorage.
"""

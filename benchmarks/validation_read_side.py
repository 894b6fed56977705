"""One read of the benchmark object, run as its own process by benchmarks/validation_read.py, so its CPU
time and peak RSS are its own.

Usage: validation_read_side.py boto3|reader ENDPOINT BUCKET KEY SHA256 [READERS RANGE_SIZE BUFFER_SIZE]
Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Exits 1 when the SHA-256 differs.
"""

import hashlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class Sha256Sink:
    """A write-only file object that only hashes: download_fileobj's output, nothing kept."""

    def __init__(self):
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        return len(data)


def with_boto3(endpoint: str, bucket: str, key: str) -> str:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    sink = Sha256Sink()
    client.download_fileobj(bucket, key, sink)  # boto3's defaults: 8 MiB ranges, 10 threads
    return sink.sha256.hexdigest()


def with_reader(endpoint: str, bucket: str, key: str, readers: str, range_size: str, buffer_size: str) -> str:
    from ucs.validation.reader import ReadConfig, digest_object
    from ucs_plugins.s3.backend import S3Backend

    backend = S3Backend.from_config(
        {
            "S3_ENDPOINT_URL": endpoint,
            "S3_BUCKET": bucket,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
            "S3_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
        }
    )
    return digest_object(backend, key, ReadConfig(int(readers), int(range_size), int(buffer_size))).sha256


def main(side: str, endpoint: str, bucket: str, key: str, expected: str, *config: str) -> None:
    if side == "boto3":
        sha256 = with_boto3(endpoint, bucket, key)
    else:
        sha256 = with_reader(endpoint, bucket, key, *config)
    if sha256 != expected:
        raise SystemExit(f"{side} read SHA-256 {sha256}, expected {expected}")


if __name__ == "__main__":
    main(*sys.argv[1:])

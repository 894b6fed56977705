"""One boto3 transfer, run as its own process by benchmarks/transfer.py so its CPU and peak RSS are its own.

Usage: boto3_transfer.py upload|download ENDPOINT BUCKET KEY PATH PART_SIZE CONCURRENCY
Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
"""

import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config


def main(operation: str, endpoint: str, bucket: str, key: str, path: str, part_size: str, concurrency: str):
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    # The same part size and concurrency as upload-client; the threshold makes every file multipart.
    config = TransferConfig(
        multipart_threshold=int(part_size),
        multipart_chunksize=int(part_size),
        max_concurrency=int(concurrency),
    )
    if operation == "upload":
        client.upload_file(path, bucket, key, Config=config)
    else:
        client.download_file(bucket, key, path, Config=config)


if __name__ == "__main__":
    main(*sys.argv[1:])

"""Real S3-compatible servers for tests: moto's server and SeaweedFS, as child processes on loopback.

Each context manager yields an ``S3Server``: where the server answers, the credentials it accepts, and
helpers that create a fresh bucket and return the UCS settings that point the s3 backend at it.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.support.processes import VENV_BIN, free_port, running


@dataclass(frozen=True)
class S3Server:
    """An S3 endpoint started for tests, with the credentials it accepts."""

    name: str
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self):
        """A boto3 S3 client for this server: SigV4, path-style addressing."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def make_bucket(self, prefix: str = "ucs-test") -> str:
        """Create a bucket with a new unique name and return the name."""
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, backend: str = "s3") -> dict[str, Any]:
        """UCS settings (Flask config keys, no UCS_ prefix) that use bucket on this server."""
        return {
            "STORAGE_BACKEND": backend,
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_REGION": self.region,
            "S3_BUCKET": bucket,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_CREATE_BUCKET": True,
        }

    def bucket_settings(self, backend: str = "s3") -> dict[str, Any]:
        """Create a fresh bucket and return the UCS settings that use it."""
        return self.settings(self.make_bucket(), backend)


@contextlib.contextmanager
def moto_server(workdir: Path, min_part_size: int | None = None) -> Iterator[S3Server]:
    """Run moto's standalone server on a free loopback port (it accepts any credentials).

    min_part_size lowers S3's 5 MiB minimum for all parts but the last, so tests can complete uploads of
    many small parts.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # moto checks no signatures; fixed fake credentials keep boto3 from looking for real ones.
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    if min_part_size is not None:
        # moto sizes its in-memory part buffer from the minimum unless told otherwise.
        env.update(S3_UPLOAD_PART_MIN_SIZE=str(min_part_size), MOTO_S3_DEFAULT_KEY_BUFFER_SIZE=str(1 << 20))
    command = [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    with running(command, workdir / "moto.log", f"{url}/moto-api/", env):
        yield S3Server("moto", url, "testing", "testing")


# Every component of `weed mini` that listens; each gets its own free loopback port. The gRPC ports
# are set explicitly because weed otherwise derives them as port + 10000, which can be taken or invalid.
SEAWEED_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


@contextlib.contextmanager
def seaweedfs_server(workdir: Path, timeout: float = 60) -> Iterator[S3Server]:
    """Run `weed mini` bound to 127.0.0.1 with one admin identity; ready once it can create a bucket."""
    access_key, secret_key = "ucs-test-access", uuid.uuid4().hex
    config = workdir / "s3.json"
    config.write_text(json.dumps(_seaweed_identity(access_key, secret_key)))
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    ports = {flag: free_port() for flag in SEAWEED_PORT_FLAGS}
    command = [
        str(VENV_BIN / "weed"),
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        *(f"-{flag}={port}" for flag, port in ports.items()),
        # Unix sockets default to /tmp/seaweedfs-*-<port>.sock; keep them in the test's directory.
        f"-filer.localSocket={workdir / 'filer.sock'}",
        f"-s3.localSocket={workdir / 's3.sock'}",
        # Components the tests do not use stay off, so they open no ports.
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        # Behave like AWS: a missing bucket is an error, not created by the first upload into it.
        "-s3.autoCreateBucket=false",
        # SeaweedFS gives each bucket its own collection and volume: room for a bucket per test.
        "-volume.max=1000",
        "-master.volumeSizeLimitMB=64",
    ]
    url = f"http://127.0.0.1:{ports['s3.port']}"
    # weed puts its gRPC unix sockets in the temporary directory and leaves them there: use the test's.
    env = {"TMPDIR": str(workdir)}
    with running(command, workdir / "weed.log", url, env=env, timeout=timeout) as process:
        server = S3Server("seaweedfs", url, access_key, secret_key)
        _wait_until_writable(server, process, workdir / "weed.log", timeout)
        yield server


def _seaweed_identity(access_key: str, secret_key: str) -> dict:
    return {
        "identities": [
            {
                "name": "ucs-test",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }


def _wait_until_writable(server: S3Server, process, log: Path, timeout: float) -> None:
    """The S3 port opens before the filer and volumes are ready: wait for a bucket to accept an object."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            client = server.client()
            bucket = server.make_bucket("ucs-ready")
            client.put_object(Bucket=bucket, Key="ready", Body=b"ready")
            client.delete_object(Bucket=bucket, Key="ready")
            client.delete_bucket(Bucket=bucket)
            return
        except Exception as error:  # noqa: BLE001 - any failure means "not ready yet"
            last_error = error
            time.sleep(0.5)
    raise TimeoutError(f"SeaweedFS not writable within {timeout} s: {last_error}\n{log.read_text()[-3000:]}")

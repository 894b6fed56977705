"""The settings and command lines of the client's fault tests (the `ucs` and `faulty` fixtures of
tests/e2e/conftest.py): UCS on the filesystem store, its presigned URLs through a fault proxy."""

from __future__ import annotations

from tests.support.client_runs import MiB
from tests.support.client_runs import upload_args as client_upload_args

PART_SIZE = MiB
PARALLEL = 4


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def upload_args(api: str, file_id: str, path) -> list[str]:
    return client_upload_args(api, file_id, path, "--parallel", str(PARALLEL))


def download_args(api: str, file_id: str, path) -> list[str]:
    return ["download", "--file-id", file_id, "--api-url", api, "--output", str(path), "--range-size", "1"]

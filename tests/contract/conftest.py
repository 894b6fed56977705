"""The backends the storage contract runs against, each built by UCS's plugin machinery from settings.

| case             | backend       | server                                          |
| filesystem       | filesystem    | a UCS app serving the store's URLs over HTTP     |
| s3-moto          | s3 (boto3)    | moto's server                                   |
| s3-seaweedfs     | s3 (boto3)    | SeaweedFS (weed mini)                           |
| minio-seaweedfs  | minio (SDK)   | SeaweedFS (weed mini)                           |
| example-moto     | prefixed-s3   | moto's server, plugin loaded from its entry point |
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.apps import storage_from_settings
from tests.support.example_plugin import example_plugin_installed
from tests.support.live_server import filesystem_app, serving
from tests.support.processes import free_port
from tests.support.s3_fixtures import *  # noqa: F403 - the moto and seaweedfs fixtures
from ucs.plugins import current_storage
from ucs.storage import StorageBackend


@dataclass(frozen=True)
class Store:
    """A backend under test and what its server enforces."""

    backend: StorageBackend
    server: str
    # moto accepts any signature and any expiry; real stores and the filesystem store refuse them.
    checks_signatures: bool


@pytest.fixture(scope="session")
def filesystem_store(tmp_path_factory) -> Iterator[Store]:
    """The filesystem backend, its presigned URLs served by a live UCS app on a loopback port."""
    tmp_path = tmp_path_factory.mktemp("filesystem-store")
    port = free_port()
    app = filesystem_app(tmp_path, FILESYSTEM_PUBLIC_URL=f"http://127.0.0.1:{port}")
    with serving(app, port) as url:
        yield Store(current_storage(app), f"UCS app at {url}", checks_signatures=True)


@pytest.fixture
def s3_moto_store(moto, tmp_path) -> Store:
    backend = storage_from_settings(tmp_path, **moto.bucket_settings("s3"))
    return Store(backend, "moto server", checks_signatures=False)


@pytest.fixture
def s3_seaweedfs_store(seaweedfs, tmp_path) -> Store:
    backend = storage_from_settings(tmp_path, **seaweedfs.bucket_settings("s3"))
    return Store(backend, "SeaweedFS", checks_signatures=True)


@pytest.fixture
def minio_seaweedfs_store(seaweedfs, tmp_path) -> Store:
    backend = storage_from_settings(tmp_path, **seaweedfs.bucket_settings("minio"))
    return Store(backend, "SeaweedFS", checks_signatures=True)


@pytest.fixture
def example_plugin(tmp_path) -> Iterator[dict]:
    """The example third-party plugin, discoverable through its entry point for this test only."""
    with example_plugin_installed(tmp_path / "site-packages") as project:
        yield project


@pytest.fixture
def example_moto_store(example_plugin, moto, tmp_path) -> Store:
    settings = moto.bucket_settings("prefixed-s3")
    backend = storage_from_settings(tmp_path, **settings, LOAD_ENTRY_POINTS=True, EXAMPLE_KEY_PREFIX="ex/")
    assert type(backend).__module__ == "ucs_example_storage"
    return Store(backend, "moto server", checks_signatures=False)


STORES = (
    "filesystem",
    "s3_moto",
    "s3_seaweedfs",
    "minio_seaweedfs",
    "example_moto",
)


@pytest.fixture(
    params=[
        pytest.param(name, marks=[pytest.mark.seaweedfs] if "seaweedfs" in name else [], id=name)
        for name in STORES
    ]
)
def store(request) -> Store:
    """Each contract test runs once per backend."""
    return request.getfixturevalue(f"{request.param}_store")

"""Pytest fixtures for the S3 servers: one server per session, a fresh bucket per test.

Use from a conftest.py with ``from tests.support.s3_fixtures import *`` (or ``pytest_plugins``).
Tests that use the SeaweedFS fixtures should carry the ``seaweedfs`` marker.
"""

from __future__ import annotations

import pytest

from tests.support.s3_servers import S3Server, moto_server, seaweedfs_server

__all__ = [
    "moto",
    "moto_bucket",
    "moto_settings",
    "seaweedfs",
    "seaweedfs_bucket",
    "seaweedfs_settings",
]


@pytest.fixture(scope="session")
def moto(tmp_path_factory) -> S3Server:
    """moto's server, started once per test session."""
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory) -> S3Server:
    """SeaweedFS (`weed mini`), started once per test session."""
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def moto_bucket(moto: S3Server) -> str:
    """A new, empty bucket on moto's server."""
    return moto.make_bucket()


@pytest.fixture
def seaweedfs_bucket(seaweedfs: S3Server) -> str:
    """A new, empty bucket on SeaweedFS."""
    return seaweedfs.make_bucket()


@pytest.fixture
def moto_settings(moto: S3Server, moto_bucket: str) -> dict:
    """UCS settings for the s3 backend on a fresh moto bucket."""
    return moto.settings(moto_bucket)


@pytest.fixture
def seaweedfs_settings(seaweedfs: S3Server, seaweedfs_bucket: str) -> dict:
    """UCS settings for the s3 backend on a fresh SeaweedFS bucket."""
    return seaweedfs.settings(seaweedfs_bucket)

"""Fixtures of the unit tests: a filesystem store under tmp_path that must never touch what lies beside it."""

from __future__ import annotations

import pytest

from ucs_plugins.filesystem.backend import FilesystemBackend
from ucs_plugins.filesystem.signing import UrlSigner


@pytest.fixture
def outside(tmp_path):
    """A directory beside the root holding a file that must never change or be read."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "secret").write_text("not for you")
    return directory


@pytest.fixture
def backend(tmp_path, outside):
    backend = FilesystemBackend(tmp_path / "root", UrlSigner(b"k" * 32), "http://ucs.example")
    yield backend
    assert sorted(p.name for p in outside.iterdir()) == ["secret"], "something was written outside the root"
    assert (outside / "secret").read_text() == "not for you"

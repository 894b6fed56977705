"""Files created whole with their mode (upload_client.atomic_files.write_new)."""

from __future__ import annotations

import os
import stat

import pytest

from upload_client.atomic_files import write_new


def test_a_new_file_has_its_mode_whatever_the_umask_and_leaves_nothing_beside_it(tmp_path):
    previous = os.umask(0)
    try:
        write_new(tmp_path / "keys" / "secret", b"s3cret", mode=0o600)
    finally:
        os.umask(previous)
    assert (tmp_path / "keys" / "secret").read_bytes() == b"s3cret"
    assert stat.S_IMODE((tmp_path / "keys" / "secret").stat().st_mode) == 0o600
    assert os.listdir(tmp_path / "keys") == ["secret"]


def test_an_existing_file_is_left_untouched_unless_replacing_is_asked_for(tmp_path):
    path = tmp_path / "file"
    write_new(path, b"first", mode=0o600)
    with pytest.raises(FileExistsError):
        write_new(path, b"second", mode=0o644)
    assert path.read_bytes() == b"first"

    write_new(path, b"third", mode=0o644, replace=True)
    assert path.read_bytes() == b"third"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["file"]

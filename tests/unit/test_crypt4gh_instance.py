"""The embedded default's key pair (ucs.crypt4gh.instance): made once, shared by racing processes."""

from __future__ import annotations

import multiprocessing
import stat

from ucs.crypt4gh.instance import instance_keys
from upload_client.crypt4gh.key_files import read_public_key, write_public_key
from upload_client.crypt4gh.keys import SecretKey


def test_the_first_start_makes_the_pair_and_later_starts_reuse_it(tmp_path):
    first = instance_keys(tmp_path)
    again = instance_keys(tmp_path)

    assert again.current.raw == first.current.raw
    assert stat.S_IMODE((tmp_path / "crypt4gh.sec").stat().st_mode) == 0o600
    assert read_public_key(tmp_path / "crypt4gh.pub") == first.public_key


def test_a_stale_public_key_file_is_replaced_by_the_secret_keys_own(tmp_path):
    keys = instance_keys(tmp_path)
    (tmp_path / "crypt4gh.pub").unlink()
    write_public_key(tmp_path / "crypt4gh.pub", SecretKey.generate().public_key)

    assert instance_keys(tmp_path).public_key == keys.public_key
    assert read_public_key(tmp_path / "crypt4gh.pub") == keys.public_key


def _public_key_of_instance(directory: str) -> bytes:
    return instance_keys(directory).public_key.raw


def test_processes_starting_together_all_use_one_pair(tmp_path):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        public_keys = pool.map(_public_key_of_instance, [str(tmp_path)] * 8)

    assert len(set(public_keys)) == 1
    assert read_public_key(tmp_path / "crypt4gh.pub").raw == public_keys[0]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["crypt4gh.pub", "crypt4gh.sec"]

"""HMAC signatures of the filesystem store's URLs: every signed field counts, and so does the clock."""

import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import pytest

from ucs_plugins.filesystem.signing import SignatureRefused, UrlSigner, instance_signing_key

SIGNER = UrlSigner(b"s" * 32)
REQUEST = ("PUT", "file/object", "ab" * 16, 3)


def signed(expires: int) -> tuple[str, str]:
    query = parse_qs(SIGNER.sign(*REQUEST, expires))
    return query["expires"][0], query["signature"][0]


def test_a_signed_request_verifies():
    SIGNER.verify(*REQUEST, *signed(int(time.time()) + 60))


@pytest.mark.parametrize("field", range(4), ids=["method", "key", "upload id", "part number"])
def test_changing_any_signed_field_is_refused(field):
    other = list(REQUEST)
    other[field] = 4 if field == 3 else other[field] + "x"
    with pytest.raises(SignatureRefused, match="does not match"):
        SIGNER.verify(*other, *signed(int(time.time()) + 60))


def test_another_key_signs_differently():
    with pytest.raises(SignatureRefused, match="does not match"):
        UrlSigner(b"t" * 32).verify(*REQUEST, *signed(int(time.time()) + 60))


def test_an_expired_signature_is_refused():
    with pytest.raises(SignatureRefused, match="expired"):
        SIGNER.verify(*REQUEST, *signed(int(time.time()) - 1))


@pytest.mark.parametrize("expires", ["", "soon", "-5", "1e9", "\u00b2", "\u0663\u0663", "9" * 5000])
def test_an_expiry_that_is_not_a_plain_number_is_refused(expires):
    _, signature = signed(int(time.time()) + 60)
    with pytest.raises(SignatureRefused, match="no valid expiry"):
        SIGNER.verify(*REQUEST, expires, signature)


@pytest.mark.parametrize("signature", ["\u00e9" * 64, "", "not hex at all"])
def test_a_signature_that_cannot_be_ours_is_refused_not_an_error(signature):
    expires, _ = signed(int(time.time()) + 60)
    with pytest.raises(SignatureRefused, match="does not match"):
        SIGNER.verify(*REQUEST, expires, signature)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_signing_key_is_created_private_with_no_moment_it_is_wider(tmp_path, monkeypatch, umask_022):
    created = []
    real_open = os.open

    def recording_open(path, flags, mode=0o777, *args, **kwargs):
        descriptor = real_open(path, flags, mode, *args, **kwargs)
        if flags & os.O_CREAT:
            # The mode of the file the moment it exists, before anything is written to it.
            created.append((flags, stat.S_IMODE(os.fstat(descriptor).st_mode)))
        return descriptor

    monkeypatch.setattr(os, "open", recording_open)
    key = instance_signing_key(tmp_path)
    monkeypatch.undo()

    assert created, "the key file was not created with os.open"
    for flags, mode in created:
        assert flags & os.O_EXCL, "created without O_EXCL: an existing file or link would be written through"
        assert mode == 0o600, f"the key file existed with mode {mode:o}"
    assert stat.S_IMODE((tmp_path / ".signing-key").stat().st_mode) == 0o600
    assert len(key) == 64 and instance_signing_key(tmp_path) == key  # read back, not made anew
    assert [path.name for path in tmp_path.iterdir()] == [".signing-key"]  # no temporary file left


def created_together(root, workers: int) -> list[bytes]:
    start = threading.Barrier(workers)

    def create(_):
        start.wait()
        return instance_signing_key(root)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(create, range(workers)))


def test_workers_creating_the_signing_key_at_once_agree_on_one(tmp_path):
    for round_number in range(10):
        root = tmp_path / str(round_number)
        root.mkdir()
        keys = created_together(root, 8)
        assert len(set(keys)) == 1 and keys[0] == (root / ".signing-key").read_bytes()
        assert [path.name for path in root.iterdir()] == [".signing-key"]

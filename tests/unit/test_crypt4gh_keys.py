"""Crypt4GH keys and key files (upload_client.crypt4gh.keys, key_files): round trips, modes, refusals."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from upload_client.crypt4gh.errors import KeyFileError, WrongPassphrase
from upload_client.crypt4gh.key_files import (
    parse_public_key,
    parse_secret_key,
    public_key_text,
    read_public_key,
    read_secret_key,
    secret_key_text,
    write_public_key,
    write_secret_key,
)
from upload_client.crypt4gh.keys import DataKey, PublicKey, SecretKey

PASSPHRASE = "correct horse battery staple"


@pytest.mark.parametrize("passphrase", [PASSPHRASE, None], ids=["with passphrase", "without"])
def test_a_secret_key_file_reads_back_as_the_same_key(tmp_path, passphrase):
    key = SecretKey.generate()
    write_secret_key(tmp_path / "key.sec", key, passphrase, comment="archive 2026")
    write_public_key(tmp_path / "key.pub", key.public_key)

    assert read_secret_key(tmp_path / "key.sec", passphrase).raw == key.raw
    assert read_public_key(tmp_path / "key.pub") == key.public_key
    assert (b"scrypt" in base64.b64decode((tmp_path / "key.sec").read_text().splitlines()[1])) == bool(
        passphrase
    )


def test_the_secret_key_file_is_0600_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        write_secret_key(tmp_path / "key.sec", SecretKey.generate(), PASSPHRASE)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "key.sec").stat().st_mode) == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["key.sec"], "a temporary file was left behind"


def test_an_existing_key_file_is_never_overwritten(tmp_path):
    path = tmp_path / "key.sec"
    first = SecretKey.generate()
    write_secret_key(path, first, None)
    with pytest.raises(FileExistsError):
        write_secret_key(path, SecretKey.generate(), None)
    with pytest.raises(FileExistsError):
        write_public_key(path, first.public_key)
    assert read_secret_key(path).raw == first.raw
    assert [entry.name for entry in tmp_path.iterdir()] == ["key.sec"]


def test_a_wrong_passphrase_is_refused_and_the_message_holds_no_secret(tmp_path):
    key = SecretKey.generate()
    write_secret_key(tmp_path / "key.sec", key, PASSPHRASE)
    with pytest.raises(WrongPassphrase, match="does not unlock") as refused:
        read_secret_key(tmp_path / "key.sec", "not the passphrase")
    message = str(refused.value)
    assert str(tmp_path / "key.sec") in message
    for secret in ("not the passphrase", PASSPHRASE, key.raw.hex(), base64.b64encode(key.raw).decode()):
        assert secret not in message


def test_the_passphrase_is_asked_for_only_when_the_key_is_protected():
    asked = []

    def ask() -> str:
        asked.append(True)
        return PASSPHRASE

    plain, protected = SecretKey.generate(), SecretKey.generate()
    assert parse_secret_key(secret_key_text(plain, None), ask).raw == plain.raw
    assert asked == []
    assert parse_secret_key(secret_key_text(protected, PASSPHRASE), ask).raw == protected.raw
    assert asked == [True]
    with pytest.raises(WrongPassphrase, match="protected by a passphrase, and none was given"):
        parse_secret_key(secret_key_text(protected, PASSPHRASE), None)


def _armored(label: str, payload: bytes) -> str:
    return f"-----BEGIN {label}-----\n{base64.b64encode(payload).decode()}\n-----END {label}-----\n"


SECRET = "CRYPT4GH PRIVATE KEY"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is not a Crypt4GH private key file"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", "is not a Crypt4GH private key file"),
        (public_key_text(SecretKey.generate().public_key), "is not a Crypt4GH private key file"),
        (f"-----BEGIN {SECRET}-----\n!!!\n-----END {SECRET}-----\n", "not valid base64"),
        (_armored(SECRET, b"openssh-key-v1\0"), "no c4gh-v1 marker"),
        (_armored(SECRET, b"c4gh-v1\0\x04none\0\x04none\0\x20abc"), "is truncated"),
        (_armored(SECRET, b"c4gh-v1\0\x04none\0\x04none\0\x03abc"), "holds 3 bytes of key, not 32"),
        (_armored(SECRET, b"c4gh-v1\0\x06argon2\0\x04abcd"), "key derivation function b'argon2'"),
        (
            _armored(SECRET, b"c4gh-v1\0\x06scrypt\0\x04\0\0\0\0\0\x07aes-256" + b"\0\x01x"),
            "only chacha20_poly1305",
        ),
    ],
    ids=["empty", "ssh", "public", "base64", "magic", "truncated", "short key", "kdf", "cipher"],
)
def test_a_malformed_secret_key_file_is_refused_with_its_problem(text, problem):
    with pytest.raises(KeyFileError, match=problem) as refused:
        parse_secret_key(text, PASSPHRASE, source="archive.sec")
    assert "archive.sec" in str(refused.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("-----BEGIN CRYPT4GH PUBLIC KEY-----\nAAAA\n-----END CRYPT4GH PUBLIC KEY-----\n", "holds 3 bytes"),
        (secret_key_text(SecretKey.generate(), None), "is not a Crypt4GH public key file"),
    ],
    ids=["short", "secret"],
)
def test_a_malformed_public_key_file_is_refused_with_its_problem(text, problem):
    with pytest.raises(KeyFileError, match=problem):
        parse_public_key(text, source="reader.pub")


def test_a_missing_key_file_is_a_key_file_error(tmp_path):
    with pytest.raises(KeyFileError, match="cannot read the key file .*absent.sec: No such file"):
        read_secret_key(tmp_path / "absent.sec")


def test_reprs_never_show_secret_bytes():
    secret, data_key = SecretKey.generate(), DataKey.generate()
    for text in (repr(secret), repr(data_key), repr([secret, data_key])):
        assert secret.raw.hex() not in text and data_key.raw.hex() not in text
    assert secret.public_key.fingerprint in repr(secret)
    assert repr(PublicKey(secret.public_key.raw)) == f"PublicKey({secret.public_key.fingerprint})"

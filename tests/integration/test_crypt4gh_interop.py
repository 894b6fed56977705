"""ucs's Crypt4GH against the reference implementation (EGA's `crypt4gh` package and its command line).

What ucs writes (keys, headers, segments encrypted part by part) the reference reads, byte for byte, and
what the reference writes ucs reads: the promise docs/encryption.md makes to archives that already use it.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from crypt4gh import lib as reference
from crypt4gh.keys import c4gh as reference_key_format
from crypt4gh.keys import get_private_key, get_public_key, load_from_pem

from tests.support.processes import VENV_BIN
from ucs.crypt4gh.archive import ArchiveKeys
from upload_client.crypt4gh.envelope import new_envelope, recognise
from upload_client.crypt4gh.errors import HeaderInvalid, NotForThisKey, SegmentCorrupted
from upload_client.crypt4gh.header import make_header
from upload_client.crypt4gh.key_files import (
    read_public_key,
    read_secret_key,
    write_public_key,
    write_secret_key,
)
from upload_client.crypt4gh.keys import DataKey, SecretKey
from upload_client.crypt4gh.layout import encrypted_parts
from upload_client.crypt4gh.segments import SEGMENT_SIZE, SegmentCipher, decrypt_stream, encrypt_range

PASSPHRASE = "interop passphrase"
SIZES = [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1]


def crypt4gh_cli(*args: str, source, target, passphrase: str | None = None) -> subprocess.CompletedProcess:
    """Run the reference `crypt4gh` command with stdin from source and stdout into target."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("C4GH_")}
    if passphrase:
        environment["C4GH_PASSPHRASE"] = passphrase
    with open(source, "rb") as stdin, open(target, "wb") as stdout:
        return subprocess.run(
            [str(VENV_BIN / "crypt4gh"), *args],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=environment,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def key_pair(tmp_path):
    """An archive key pair written by ucs, protected by a passphrase."""
    key = SecretKey.generate()
    write_secret_key(tmp_path / "archive.sec", key, PASSPHRASE)
    write_public_key(tmp_path / "archive.pub", key.public_key)
    return key, tmp_path / "archive.sec", tmp_path / "archive.pub"


def encrypt_in_parts(path, data_key: DataKey, part_segments: int) -> bytes:
    """The file's segments as an upload makes them: each part encrypted on its own in a pool, then joined."""
    size = os.path.getsize(path)
    descriptor = os.open(path, os.O_RDONLY)

    def encrypt(part) -> bytes:
        return b"".join(encrypt_range(descriptor, part.plaintext.offset, part.plaintext.size, data_key))

    try:
        # Two threads, the last part first: nothing may depend on parts being encrypted front to back.
        parts = list(reversed(encrypted_parts(size, part_segments)))
        with ThreadPoolExecutor(2) as pool:
            encrypted = dict(zip((part.number for part in parts), pool.map(encrypt, parts), strict=True))
    finally:
        os.close(descriptor)
    return b"".join(encrypted[number] for number in sorted(encrypted))


@pytest.mark.parametrize(
    ("size", "part_segments"),
    [*((size, 256) for size in SIZES), (7 * SEGMENT_SIZE + 123, 2)],
    ids=[*(f"{size} bytes" for size in SIZES), "four parts"],
)
def test_our_header_and_parts_decrypt_with_the_reference_library(tmp_path, key_pair, size, part_segments):
    key, _, _ = key_pair
    source = tmp_path / "source"
    source.write_bytes(os.urandom(size))
    data_key = DataKey.generate()

    encrypted = make_header(data_key, [key.public_key]) + encrypt_in_parts(source, data_key, part_segments)
    plaintext = io.BytesIO()
    reference.decrypt([(0, key.raw, None)], io.BytesIO(encrypted), plaintext)

    assert plaintext.getvalue() == source.read_bytes()


def test_our_file_decrypts_with_the_reference_command_and_a_key_file_we_wrote(tmp_path, key_pair):
    _, secret_path, _ = key_pair
    source = tmp_path / "source"
    source.write_bytes(os.urandom(5 * SEGMENT_SIZE + 77))
    submitter = SecretKey.generate()
    write_public_key(tmp_path / "submitter.pub", submitter.public_key)
    envelope = new_envelope(read_public_key(tmp_path / "archive.pub"), submitter)
    segments = encrypt_in_parts(source, envelope.data_key, part_segments=2)
    (tmp_path / "file.c4gh").write_bytes(envelope.header + segments)

    decrypted = crypt4gh_cli(
        "decrypt", "--sk", str(secret_path), "--sender_pk", str(tmp_path / "submitter.pub"),
        source=tmp_path / "file.c4gh", target=tmp_path / "decrypted", passphrase=PASSPHRASE,
    )  # fmt: skip

    assert decrypted.returncode == 0, decrypted.stderr
    assert (tmp_path / "decrypted").read_bytes() == source.read_bytes()


def test_a_file_the_reference_encrypted_is_recognised_opened_and_reencrypted_for_a_reader(tmp_path, key_pair):
    archive_key, _, archive_public = key_pair
    source = tmp_path / "source"
    source.write_bytes(os.urandom(3 * SEGMENT_SIZE + 1000))
    made = crypt4gh_cli(
        "encrypt", "--recipient_pk", str(archive_public), source=source, target=tmp_path / "f.c4gh"
    )
    assert made.returncode == 0, made.stderr

    # Recognised by its magic bytes; the header is split off and the segments follow it.
    found = recognise(tmp_path / "f.c4gh")
    assert found is not None and recognise(source) is None
    encrypted = (tmp_path / "f.c4gh").read_bytes()
    stored_header, segments = encrypted[: found.segments_offset], encrypted[found.segments_offset :]
    assert found.header == stored_header
    assert (found.plaintext_size, found.ciphertext_size) == (source.stat().st_size, len(segments))
    archive = ArchiveKeys(archive_key)
    data_key = archive.data_key(stored_header)
    assert b"".join(decrypt_stream(io.BytesIO(segments), data_key)) == source.read_bytes()

    # A reader's header, made without touching the segments, opens with the reference tool.
    reader = SecretKey.generate()
    write_secret_key(tmp_path / "reader.sec", reader, None)
    (tmp_path / "for-reader.c4gh").write_bytes(
        archive.header_for(stored_header, [reader.public_key]) + segments
    )
    decrypted = crypt4gh_cli(
        "decrypt", "--sk", str(tmp_path / "reader.sec"), "--sender_pk", str(archive_public),
        source=tmp_path / "for-reader.c4gh", target=tmp_path / "decrypted",
    )  # fmt: skip
    assert decrypted.returncode == 0, decrypted.stderr
    assert (tmp_path / "decrypted").read_bytes() == source.read_bytes()


def test_a_file_the_reference_encrypted_for_another_key_is_refused(tmp_path, key_pair):
    other = SecretKey.generate()
    write_public_key(tmp_path / "other.pub", other.public_key)
    source = tmp_path / "source"
    source.write_bytes(b"not for the archive")
    crypt4gh_cli(
        "encrypt", "--recipient_pk", str(tmp_path / "other.pub"), source=source, target=tmp_path / "f.c4gh"
    )

    with pytest.raises(NotForThisKey, match="not for the archive's key"):
        ArchiveKeys(key_pair[0]).data_key(recognise(tmp_path / "f.c4gh").header)


def test_a_file_the_reference_encrypted_with_a_range_is_refused_for_its_edit_list(tmp_path, key_pair):
    _, _, archive_public = key_pair
    source = tmp_path / "source"
    source.write_bytes(os.urandom(2 * SEGMENT_SIZE))
    crypt4gh_cli("encrypt", "--recipient_pk", str(archive_public), source=source, target=tmp_path / "f.c4gh")
    cut = crypt4gh_cli(
        "rearrange", "--sk", str(key_pair[1]), "--range", "10-2000",
        source=tmp_path / "f.c4gh", target=tmp_path / "cut.c4gh", passphrase=PASSPHRASE,
    )  # fmt: skip
    assert cut.returncode == 0, cut.stderr

    with pytest.raises(HeaderInvalid, match="edit list"):
        ArchiveKeys(key_pair[0]).data_key(recognise(tmp_path / "cut.c4gh").header)


def test_a_tampered_segment_of_a_reference_file_raises_the_mac_error(tmp_path, key_pair):
    archive_key, _, archive_public = key_pair
    source = tmp_path / "source"
    source.write_bytes(os.urandom(2 * SEGMENT_SIZE + 1))
    crypt4gh_cli("encrypt", "--recipient_pk", str(archive_public), source=source, target=tmp_path / "f.c4gh")
    found = recognise(tmp_path / "f.c4gh")
    segments = bytearray((tmp_path / "f.c4gh").read_bytes()[found.segments_offset :])
    segments[-5] ^= 0xFF  # in the last segment's MAC

    data_key = ArchiveKeys(archive_key).data_key(found.header)
    with pytest.raises(SegmentCorrupted, match="segment 2 failed its MAC check"):
        SegmentCipher(data_key).decrypt(bytes(segments))


@pytest.mark.parametrize("passphrase", [PASSPHRASE, None], ids=["with passphrase", "without"])
def test_key_files_we_write_are_read_by_the_reference(tmp_path, passphrase):
    key = SecretKey.generate()
    write_secret_key(tmp_path / "k.sec", key, passphrase, comment="ucs")
    write_public_key(tmp_path / "k.pub", key.public_key)

    def no_prompt() -> str:
        if passphrase is None:
            raise AssertionError("the reference asked for a passphrase for an unprotected key")
        return passphrase

    assert get_private_key(str(tmp_path / "k.sec"), no_prompt) == key.raw
    assert get_public_key(str(tmp_path / "k.pub")) == key.public_key.raw
    assert stat.S_IMODE((tmp_path / "k.sec").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("passphrase", "kdf"),
    [(PASSPHRASE, "scrypt"), (PASSPHRASE, "bcrypt"), (None, "none")],
    ids=["scrypt", "bcrypt", "without passphrase"],
)
def test_key_files_the_reference_writes_are_read_by_us(tmp_path, monkeypatch, passphrase, kdf):
    # The reference picks bcrypt only where hashlib lacks scrypt, as older installations did.
    monkeypatch.setattr(reference_key_format, "scrypt_supported", kdf != "bcrypt")
    reference_key_format.generate(
        str(tmp_path / "k.sec"),
        str(tmp_path / "k.pub"),
        passphrase.encode() if passphrase else None,
        b"theirs",
    )

    key = read_secret_key(tmp_path / "k.sec", passphrase)

    assert key.public_key == read_public_key(tmp_path / "k.pub")
    assert key.raw == get_private_key(str(tmp_path / "k.sec"), lambda: passphrase)
    # The file's KDF name follows the c4gh-v1 marker, as a two-byte length and the name.
    assert load_from_pem(str(tmp_path / "k.sec"))[7:].startswith(len(kdf).to_bytes(2, "big") + kdf.encode())


def test_keys_from_ucs_crypt4gh_keygen_work_with_the_reference_command(tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("UCS_", "C4GH_"))}
    made = subprocess.run(
        [str(VENV_BIN / "ucs"), "crypt4gh", "keygen", "--secret-key", str(tmp_path / "a.sec"),
         "--public-key", str(tmp_path / "a.pub"), "--passphrase-env", "ARCHIVE_PASSPHRASE"],
        env={**environment, "ARCHIVE_PASSPHRASE": PASSPHRASE}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    source = tmp_path / "source"
    source.write_bytes(os.urandom(SEGMENT_SIZE + 9))

    encrypted = crypt4gh_cli(
        "encrypt", "--recipient_pk", str(tmp_path / "a.pub"), source=source, target=tmp_path / "f.c4gh"
    )
    decrypted = crypt4gh_cli(
        "decrypt", "--sk", str(tmp_path / "a.sec"),
        source=tmp_path / "f.c4gh", target=tmp_path / "decrypted", passphrase=PASSPHRASE,
    )  # fmt: skip

    assert encrypted.returncode == 0 and decrypted.returncode == 0, encrypted.stderr + decrypted.stderr
    assert (tmp_path / "decrypted").read_bytes() == source.read_bytes()


def test_a_header_rotated_to_a_new_archive_key_decrypts_with_the_reference(tmp_path, key_pair):
    old_key, _, _ = key_pair
    source = tmp_path / "source"
    source.write_bytes(os.urandom(2 * SEGMENT_SIZE + 3))
    submitter, new_key = SecretKey.generate(), SecretKey.generate()
    envelope = new_envelope(old_key.public_key, submitter)
    segments = encrypt_in_parts(source, envelope.data_key, part_segments=1)

    rotated = ArchiveKeys(new_key, previous=(old_key,)).rotated(envelope.header)

    for reader in (new_key, submitter):
        plaintext = io.BytesIO()
        reference.decrypt([(0, reader.raw, None)], io.BytesIO(rotated + segments), plaintext)
        assert plaintext.getvalue() == source.read_bytes()
    with pytest.raises(ValueError):  # the reference's refusal: no packet opens with the old key
        reference.decrypt([(0, old_key.raw, None)], io.BytesIO(rotated + segments), io.BytesIO())

"""Crypt4GH segments (upload_client.crypt4gh.segments): sizes, ranges encrypted apart, MAC failures."""

from __future__ import annotations

import io
import os

import pytest

from upload_client.crypt4gh.errors import Crypt4GHError, SegmentCorrupted
from upload_client.crypt4gh.keys import DataKey
from upload_client.crypt4gh.segments import (
    CIPHER_SEGMENT_SIZE,
    SEGMENT_SIZE,
    SegmentCipher,
    SegmentDecryptor,
    ciphertext_size,
    decrypt_stream,
    encrypt_range,
    plaintext_size,
)

SIZES = [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE + 5]


def test_a_full_segment_is_65564_bytes():
    assert CIPHER_SEGMENT_SIZE == 65_564
    assert len(SegmentCipher(DataKey.generate()).encrypt(bytes(SEGMENT_SIZE))) == 65_564


@pytest.mark.parametrize("size", SIZES)
def test_sizes_convert_both_ways(size):
    assert plaintext_size(ciphertext_size(size)) == size
    assert ciphertext_size(size) == size + 28 * -(-size // SEGMENT_SIZE)


@pytest.mark.parametrize("size", [1, 28, CIPHER_SEGMENT_SIZE + 28, -1])
def test_an_impossible_ciphertext_size_is_refused(size):
    with pytest.raises(Crypt4GHError, match=f"{size} bytes cannot be Crypt4GH segments"):
        plaintext_size(size)


@pytest.fixture
def source(tmp_path):
    data = os.urandom(3 * SEGMENT_SIZE + 5)
    path = tmp_path / "source"
    path.write_bytes(data)
    descriptor = os.open(path, os.O_RDONLY)
    yield descriptor, data
    os.close(descriptor)


def test_ranges_encrypted_apart_decrypt_as_one_stream(source):
    fd, data = source
    data_key = DataKey.generate()
    # Two "parts": the first two segments, then the rest; each encrypted on its own.
    first = b"".join(encrypt_range(fd, 0, 2 * SEGMENT_SIZE, data_key))
    second = b"".join(encrypt_range(fd, 2 * SEGMENT_SIZE, len(data) - 2 * SEGMENT_SIZE, data_key))
    assert len(first) == 2 * CIPHER_SEGMENT_SIZE
    assert b"".join(decrypt_stream(io.BytesIO(first + second), data_key)) == data
    # A range alone decrypts too, numbered from its first segment.
    assert SegmentCipher(data_key).decrypt(second, first_segment=2) == data[2 * SEGMENT_SIZE :]


def test_a_range_starts_on_a_segment_boundary(source):
    fd, _ = source
    with pytest.raises(ValueError, match="segment boundary, not at byte 100"):
        list(encrypt_range(fd, 100, 10, DataKey.generate()))


def test_a_range_beyond_the_end_of_the_file_is_an_error(source):
    fd, data = source
    with pytest.raises(Crypt4GHError, match=f"the file ended at byte {len(data)}"):
        list(encrypt_range(fd, 0, len(data) + 10, DataKey.generate()))


def test_each_encryption_uses_fresh_nonces(source):
    fd, _ = source
    data_key = DataKey.generate()
    once, again = (b"".join(encrypt_range(fd, 0, SEGMENT_SIZE, data_key)) for _ in range(2))
    assert once[:12] != again[:12] and once != again


@pytest.mark.parametrize(
    "where", [0, 11, 12, 5000, CIPHER_SEGMENT_SIZE - 1], ids=["nonce", "nonce end", "data", "middle", "MAC"]
)
def test_a_tampered_segment_fails_its_mac_check(source, where):
    fd, data = source
    data_key = DataKey.generate()
    ciphertext = bytearray(b"".join(encrypt_range(fd, 0, len(data), data_key)))
    ciphertext[CIPHER_SEGMENT_SIZE + where] ^= 0x01  # in the second segment
    with pytest.raises(SegmentCorrupted, match="segment 1 failed its MAC check") as failed:
        b"".join(decrypt_stream(io.BytesIO(bytes(ciphertext)), data_key))
    assert failed.value.segment == 1


def test_another_data_key_fails_the_mac_check_of_the_first_segment(source):
    fd, data = source
    ciphertext = b"".join(encrypt_range(fd, 0, len(data), DataKey.generate()))
    with pytest.raises(SegmentCorrupted, match="segment 0 failed"):
        list(decrypt_stream(io.BytesIO(ciphertext), DataKey.generate()))


@pytest.mark.parametrize("chunk_size", [1000, CIPHER_SEGMENT_SIZE, 100_003])
def test_segments_arriving_in_chunks_of_any_size_decrypt(source, chunk_size):
    fd, data = source
    data_key = DataKey.generate()
    ciphertext = b"".join(encrypt_range(fd, 0, len(data), data_key))
    decryptor = SegmentDecryptor(data_key)
    plaintext = b"".join(
        decryptor.feed(ciphertext[i : i + chunk_size]) for i in range(0, len(ciphertext), chunk_size)
    )
    assert plaintext + decryptor.finish() == data
    assert decryptor.segment == 4


def test_a_truncated_last_segment_is_reported_when_the_ciphertext_ends(source):
    fd, data = source
    data_key = DataKey.generate()
    ciphertext = b"".join(encrypt_range(fd, 0, len(data), data_key))
    decryptor = SegmentDecryptor(data_key, first_segment=10)
    decryptor.feed(ciphertext[: 3 * CIPHER_SEGMENT_SIZE + 20])
    with pytest.raises(SegmentCorrupted, match="segment 13 is truncated"):
        decryptor.finish()

"""An encrypted upload's parts (upload_client.crypt4gh.layout): whole segments, within S3's limits."""

from __future__ import annotations

import pytest

from upload_client.crypt4gh.errors import Crypt4GHError
from upload_client.crypt4gh.layout import (
    MAX_PART_SEGMENTS,
    MAX_PARTS,
    MAX_PLAINTEXT_SIZE,
    MIN_PART_SEGMENTS,
    encrypted_parts,
    segments_per_part,
)
from upload_client.crypt4gh.segments import CIPHER_SEGMENT_SIZE, SEGMENT_SIZE, ciphertext_size

MiB = 1024 * 1024
GiB = 1024 * MiB


@pytest.mark.parametrize(
    ("size", "preferred", "expected"),
    [
        (0, 16 * MiB, 256),
        (100 * GiB, 16 * MiB, 256),
        (256 * SEGMENT_SIZE * MAX_PARTS, 16 * MiB, 256),
        (256 * SEGMENT_SIZE * MAX_PARTS + 1, 16 * MiB, 257),
        (10, 1 * MiB, MIN_PART_SEGMENTS),
        (10, 64 * GiB, MAX_PART_SEGMENTS),
        (MAX_PLAINTEXT_SIZE, 16 * MiB, MAX_PART_SEGMENTS),
    ],
    ids=[
        "empty",
        "100 GiB",
        "16 MiB x 10,000",
        "one byte more",
        "below S3's minimum",
        "above its maximum",
        "largest",
    ],
)
def test_segments_per_part(size, preferred, expected):
    assert segments_per_part(size, preferred) == expected


def test_parts_stay_within_the_stores_limits_in_ciphertext_bytes():
    assert MIN_PART_SEGMENTS * CIPHER_SEGMENT_SIZE >= 5 * MiB > (MIN_PART_SEGMENTS - 1) * CIPHER_SEGMENT_SIZE
    assert MAX_PART_SEGMENTS * CIPHER_SEGMENT_SIZE <= 5 * GiB < (MAX_PART_SEGMENTS + 1) * CIPHER_SEGMENT_SIZE
    for size in (256 * SEGMENT_SIZE * MAX_PARTS + 1, 40 * 1024 * GiB, MAX_PLAINTEXT_SIZE):
        count = -(-size // (segments_per_part(size) * SEGMENT_SIZE))
        assert count <= MAX_PARTS


def test_a_file_beyond_10000_of_the_largest_parts_is_refused():
    with pytest.raises(Crypt4GHError, match="too large to upload encrypted"):
        segments_per_part(MAX_PLAINTEXT_SIZE + 1)


@pytest.mark.parametrize(
    "size", [1, SEGMENT_SIZE, 5 * SEGMENT_SIZE, 5 * SEGMENT_SIZE + 1, 7 * SEGMENT_SIZE - 3]
)
def test_parts_are_whole_segments_and_cover_the_file_end_to_end(size):
    parts = encrypted_parts(size, part_segments=2)
    assert [part.number for part in parts] == list(range(1, len(parts) + 1))
    assert sum(part.plaintext.size for part in parts) == size
    assert sum(part.ciphertext.size for part in parts) == ciphertext_size(size)
    for before, after in zip(parts, parts[1:], strict=False):
        assert before.plaintext.size == 2 * SEGMENT_SIZE and before.ciphertext.size == 2 * CIPHER_SEGMENT_SIZE
        assert after.plaintext.offset == before.plaintext.end
        assert after.ciphertext.offset == before.ciphertext.end


def test_an_empty_file_is_one_empty_part():
    (part,) = encrypted_parts(0, 256)
    assert (part.plaintext.size, part.ciphertext.size, part.number) == (0, 0, 1)

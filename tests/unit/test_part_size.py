"""The part-size rule (ucs.uploads.part_size_for) at its edges."""

import pytest

from ucs.problems import FileTooLarge
from ucs.uploads import MAX_FILE_SIZE, GiB, MiB, part_size_for

DEFAULT = 16 * MiB


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (None, DEFAULT),
        (0, DEFAULT),
        (1, DEFAULT),
        (DEFAULT * 10_000, DEFAULT),
        (DEFAULT * 10_000 + 1, 17 * MiB),
        (10_000 * 5 * GiB, 5 * GiB),
    ],
    ids=["unknown", "empty", "one byte", "16 MiB x 10,000", "one byte more", "largest file"],
)
def test_part_size(size, expected):
    assert part_size_for(size, DEFAULT) == expected


def test_part_size_keeps_every_file_within_10000_parts():
    for size in (DEFAULT * 10_000 + 1, 1_234_567_890_123, 40 * 1024 * GiB, MAX_FILE_SIZE):
        part_size = part_size_for(size, DEFAULT)
        assert part_size % MiB == 0
        assert -(-size // part_size) <= 10_000
        # The smallest whole MiB that fits: one MiB less would need more than 10,000 parts.
        assert -(-size // (part_size - MiB)) > 10_000


def test_one_byte_beyond_the_largest_file_is_refused():
    with pytest.raises(FileTooLarge, match="larger than the largest multipart upload"):
        part_size_for(MAX_FILE_SIZE + 1, DEFAULT)


def test_a_larger_default_part_size_is_kept():
    assert part_size_for(1000, 64 * MiB) == 64 * MiB

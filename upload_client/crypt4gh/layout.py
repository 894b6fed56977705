"""An encrypted upload's parts: whole numbers of segments, as many as fit in 10,000 parts.

Each part is encrypted apart from the others, so a part boundary must be a segment boundary: every part
holds the same number of segments, and only the last part may hold fewer (or a short last segment). The
object store sees ciphertext, so its limits (10,000 parts, 5 MiB to 5 GiB each but the last) count
ciphertext bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from upload_client.crypt4gh.errors import Crypt4GHError
from upload_client.crypt4gh.segments import CIPHER_SEGMENT_SIZE, SEGMENT_SIZE, ciphertext_size
from upload_client.parts import Part

MiB = 1024 * 1024
MAX_PARTS = 10_000
# S3's bounds on a part, the last one excepted from the lower.
MIN_PART_SEGMENTS = -(-5 * MiB // CIPHER_SEGMENT_SIZE)
MAX_PART_SEGMENTS = 5 * 1024 * MiB // CIPHER_SEGMENT_SIZE
MAX_PLAINTEXT_SIZE = MAX_PARTS * MAX_PART_SEGMENTS * SEGMENT_SIZE


@dataclass(frozen=True, slots=True)
class EncryptedPart:
    """One part: the plaintext range read from the file and the ciphertext range it becomes in the object."""

    number: int
    plaintext: Part
    ciphertext: Part


def segments_per_part(plaintext_size: int, preferred_part_size: int = 16 * MiB) -> int:
    """Segments in each part: about preferred_part_size of plaintext, more if 10,000 parts need it."""
    if plaintext_size > MAX_PLAINTEXT_SIZE:
        raise Crypt4GHError(
            f"a file of {plaintext_size} bytes is too large to upload encrypted: at most {MAX_PARTS} parts "
            f"of {MAX_PART_SEGMENTS} segments hold {MAX_PLAINTEXT_SIZE} bytes"
        )
    preferred = min(max(preferred_part_size // SEGMENT_SIZE, MIN_PART_SEGMENTS), MAX_PART_SEGMENTS)
    segments = -(-plaintext_size // SEGMENT_SIZE)
    return max(preferred, -(-segments // MAX_PARTS))


def encrypted_parts(plaintext_size: int, part_segments: int) -> list[EncryptedPart]:
    """The parts of a file of plaintext_size bytes, part_segments segments each (the last holds the rest).

    An empty file is one empty part: a multipart upload completes only with at least one part.
    """
    step = part_segments * SEGMENT_SIZE
    parts = []
    for number, offset in enumerate(range(0, plaintext_size, step), start=1):
        size = min(step, plaintext_size - offset)
        cipher_offset = (number - 1) * part_segments * CIPHER_SEGMENT_SIZE
        parts.append(
            EncryptedPart(
                number, Part(number, offset, size), Part(number, cipher_offset, ciphertext_size(size))
            )
        )
    return parts or [EncryptedPart(1, Part(1, 0, 0), Part(1, 0, 0))]

"""A file's data after its header: 64 KiB plaintext segments, each encrypted on its own.

A segment is a random 12-byte nonce, the ChaCha20-Poly1305 (IETF) ciphertext and its 16-byte MAC: 65,564
bytes for a full segment, and only the last segment of a file may be shorter. Since segments are
independent, any run of whole segments is encrypted or decrypted apart from the rest: a part of an upload
in one worker while another encrypts the next, a range of a download as it arrives.

Everything here streams in blocks of BLOCK_SEGMENTS segments, so memory does not grow with part or file
size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from upload_client.crypt4gh.errors import Crypt4GHError, SegmentCorrupted
from upload_client.crypt4gh.keys import MAC_SIZE, NONCE_SIZE, DataKey

SEGMENT_SIZE = 64 * 1024
OVERHEAD = NONCE_SIZE + MAC_SIZE
CIPHER_SEGMENT_SIZE = SEGMENT_SIZE + OVERHEAD
#: Segments read and encrypted at a time: 512 KiB, the most a stream holds besides its output.
BLOCK_SEGMENTS = 8


def ciphertext_size(plaintext_size: int) -> int:
    """The size of the segments that hold plaintext_size bytes (the header not included)."""
    return plaintext_size + -(-plaintext_size // SEGMENT_SIZE) * OVERHEAD


def plaintext_size(ciphertext_size: int) -> int:
    """The plaintext size that ciphertext_size bytes of segments hold; an impossible size is an error."""
    full, rest = divmod(ciphertext_size, CIPHER_SEGMENT_SIZE)
    if ciphertext_size < 0 or 0 < rest <= OVERHEAD:
        raise Crypt4GHError(f"{ciphertext_size} bytes cannot be Crypt4GH segments: the last one is too short")
    return full * SEGMENT_SIZE + (rest - OVERHEAD if rest else 0)


class SegmentCipher:
    """Encrypts and decrypts segments with one data key; safe to share between threads."""

    def __init__(self, data_key: DataKey):
        self._aead = ChaCha20Poly1305(data_key.raw)

    def encrypt(self, plaintext: bytes | memoryview) -> bytes:
        """The segments of plaintext, a whole number of segments or the file's last bytes."""
        view = memoryview(plaintext)
        pieces = []
        for start in range(0, len(view), SEGMENT_SIZE):
            # Nonce and ciphertext joined once with the block's other segments: one copy, not two.
            nonce = os.urandom(NONCE_SIZE)
            pieces += (nonce, self._aead.encrypt(nonce, view[start : start + SEGMENT_SIZE], None))
        return b"".join(pieces)

    def decrypt(self, ciphertext: bytes | memoryview, first_segment: int = 0) -> bytes:
        """The plaintext of whole segments (the last may be short); first_segment numbers them in errors."""
        view = memoryview(ciphertext)
        return b"".join(
            self._open(view[start : start + CIPHER_SEGMENT_SIZE], first_segment + number)
            for number, start in enumerate(range(0, len(view), CIPHER_SEGMENT_SIZE))
        )

    def _open(self, segment: memoryview, index: int) -> bytes:
        if len(segment) <= OVERHEAD:
            raise SegmentCorrupted(f"segment {index} is truncated ({len(segment)} bytes)", index)
        try:
            return self._aead.decrypt(segment[:NONCE_SIZE], segment[NONCE_SIZE:], None)
        except InvalidTag:
            raise SegmentCorrupted(
                f"segment {index} failed its MAC check: it was altered, or encrypted with another data key",
                index,
            ) from None


def encrypt_range(fd: int, offset: int, size: int, data_key: DataKey) -> Iterator[bytes]:
    """The segments of the file's plaintext bytes offset..offset+size, a block at a time.

    offset is on a segment boundary; size is a whole number of segments unless the range ends the file.
    """
    if offset % SEGMENT_SIZE:
        raise ValueError(f"a range to encrypt starts on a segment boundary, not at byte {offset}")
    cipher = SegmentCipher(data_key)
    position, end = offset, offset + size
    while position < end:
        block = _pread_exactly(fd, min(BLOCK_SEGMENTS * SEGMENT_SIZE, end - position), position)
        yield cipher.encrypt(block)
        position += len(block)


def decrypt_stream(stream: BinaryIO, data_key: DataKey, first_segment: int = 0) -> Iterator[bytes]:
    """The plaintext of the segments read from stream up to its end, a block at a time."""
    cipher = SegmentCipher(data_key)
    segment = first_segment
    while block := stream.read(BLOCK_SEGMENTS * CIPHER_SEGMENT_SIZE):
        yield cipher.decrypt(block, segment)
        segment += BLOCK_SEGMENTS


class SegmentDecryptor:
    """Decrypts segments that arrive in chunks of any size (a download's body), holding at most one block."""

    def __init__(self, data_key: DataKey, first_segment: int = 0):
        self._cipher = SegmentCipher(data_key)
        self._pending = bytearray()
        #: The index of the next segment to decrypt.
        self.segment = first_segment

    def feed(self, chunk: bytes) -> bytes:
        """The plaintext of the segments chunk completes; the rest waits for the next chunk."""
        self._pending += chunk
        whole = len(self._pending) // CIPHER_SEGMENT_SIZE * CIPHER_SEGMENT_SIZE
        return self._take(whole)

    def finish(self) -> bytes:
        """The plaintext of the last, short segment, once the ciphertext has ended."""
        return self._take(len(self._pending))

    def _take(self, size: int) -> bytes:
        if not size:
            return b""
        plaintext = self._cipher.decrypt(memoryview(self._pending)[:size], self.segment)
        self.segment += -(-size // CIPHER_SEGMENT_SIZE)
        del self._pending[:size]
        return plaintext


def _pread_exactly(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    while len(data) < size:
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            raise Crypt4GHError(f"the file ended at byte {offset + len(data)}, inside the range to encrypt")
        data += more
    return data

"""The Crypt4GH header: the envelope that carries a file's data key, once per reader.

    magic "crypt4gh" | version 1 (4 bytes) | packet count (4) | packets
    packet: its length (4, itself included) | method 0, X25519-ChaCha20-Poly1305 (4) | writer's public
            key (32) | nonce (12) | the encrypted payload and its MAC (16)
    payload of a data key packet: type 0 (4) | data encryption method 0, ChaCha20-Poly1305 (4) | key (32)

Integers are little-endian. A reader opens the packets encrypted for its key and ignores the others, so a
header is re-encrypted for another reader, or for a new archive key, without touching the segments that
follow it. ucs stores the header beside the upload and the segments alone in the object
(docs/encryption.md).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from upload_client.crypt4gh.errors import Crypt4GHError, HeaderInvalid, NotCrypt4GH, NotForThisKey
from upload_client.crypt4gh.keys import KEY_SIZE, MAC_SIZE, NONCE_SIZE, DataKey, PublicKey, SecretKey

MAGIC = b"crypt4gh"
VERSION = 1
X25519_CHACHA20_POLY1305 = 0  # the header packets' encryption method
CHACHA20_IETF_POLY1305 = 0  # the segments' encryption method
DATA_KEY_PACKET = 0
EDIT_LIST_PACKET = 1
# Bounds on what a header may declare, so a hostile one cannot make a reader loop or allocate without end.
MAX_PACKETS = 256
MAX_PACKET_SIZE = 1 << 20


def _u32(number: int) -> bytes:
    return number.to_bytes(4, "little")


def _int(data: bytes) -> int:
    return int.from_bytes(data, "little")


@dataclass(frozen=True)
class Header:
    """A parsed header: its packets, each still encrypted (method, writer's key, nonce, payload, MAC)."""

    packets: tuple[bytes, ...]

    def to_bytes(self) -> bytes:
        return (
            MAGIC
            + _u32(VERSION)
            + _u32(len(self.packets))
            + b"".join(_u32(len(packet) + 4) + packet for packet in self.packets)
        )

    @property
    def size(self) -> int:
        return 16 + sum(len(packet) + 4 for packet in self.packets)


def is_crypt4gh(first_bytes: bytes) -> bool:
    """Whether data starting with these bytes is Crypt4GH (its magic; 8 bytes are enough)."""
    return first_bytes[: len(MAGIC)] == MAGIC


def read_header(stream: BinaryIO) -> Header:
    """Read the header at the stream's position, leaving the stream at the first segment."""
    start = stream.read(16)
    if not is_crypt4gh(start):
        raise NotCrypt4GH("the data is not Crypt4GH: it does not start with the crypt4gh magic bytes")
    if len(start) < 16:
        raise HeaderInvalid("the Crypt4GH header is truncated")
    version, count = _int(start[8:12]), _int(start[12:16])
    if version != VERSION:
        raise HeaderInvalid(f"Crypt4GH version {version} is not supported (only version {VERSION})")
    if not 1 <= count <= MAX_PACKETS:
        raise HeaderInvalid(f"the Crypt4GH header declares {count} packets (1 to {MAX_PACKETS} are accepted)")
    packets = []
    for number in range(count):
        prefix = stream.read(4)
        if len(prefix) != 4:
            raise HeaderInvalid(f"the Crypt4GH header is truncated in packet {number}")
        length = _int(prefix)
        if not 4 + 4 < length <= MAX_PACKET_SIZE:
            raise HeaderInvalid(f"header packet {number} declares an impossible length, {length} bytes")
        packet = stream.read(length - 4)
        if len(packet) != length - 4:
            raise HeaderInvalid(f"the Crypt4GH header is truncated in packet {number}")
        packets.append(packet)
    return Header(tuple(packets))


def parse_header(data: bytes) -> Header:
    """The header held in data, which must be a header and nothing more (as ucs stores it)."""
    stream = io.BytesIO(data)
    header = read_header(stream)
    if stream.tell() != len(data):
        raise HeaderInvalid(f"{len(data) - stream.tell()} bytes follow the Crypt4GH header")
    return header


def make_header(data_key: DataKey, readers: Iterable[PublicKey], writer: SecretKey | None = None) -> bytes:
    """A header giving data_key to each reader; written with writer's key, or a new one-off key.

    A one-off key is what `crypt4gh encrypt` uses without --sk; a submitter who writes with their own key
    lets a reader check who wrote the file (`crypt4gh decrypt --sender_pk`).
    """
    writer = writer or SecretKey.generate()
    payload = _u32(DATA_KEY_PACKET) + _u32(CHACHA20_IETF_POLY1305) + data_key.raw
    unique_readers = list(dict.fromkeys(readers))
    if not unique_readers:
        raise ValueError("a Crypt4GH header needs at least one reader")
    return Header(tuple(_seal(payload, writer, reader) for reader in unique_readers)).to_bytes()


def open_header(header: Header, secret_key: SecretKey) -> DataKey:
    """The data key that header gives to secret_key; NotForThisKey if no packet is for it."""
    opened = (_open(packet, secret_key) for packet in header.packets)
    payloads = [payload for payload in opened if payload is not None]
    if not payloads:
        raise NotForThisKey(
            f"the Crypt4GH header is not for the key {secret_key.public_key.fingerprint}: "
            f"none of its {len(header.packets)} packet(s) opens with it"
        )
    data_keys = {_data_key(payload) for payload in payloads}
    if len(data_keys) > 1:
        raise HeaderInvalid(
            "the Crypt4GH header gives this key more than one data key, which is not supported"
        )
    return data_keys.pop()


def packets_for_others(header: Header, secret_key: SecretKey) -> tuple[bytes, ...]:
    """The header's packets that secret_key does not open: other readers', kept when a header is rewritten."""
    return tuple(packet for packet in header.packets if _open(packet, secret_key) is None)


def _seal(payload: bytes, writer: SecretKey, reader: PublicKey) -> bytes:
    nonce = os.urandom(NONCE_SIZE)
    sealed = ChaCha20Poly1305(writer.packet_key(reader, writing=True)).encrypt(nonce, payload, None)
    return _u32(X25519_CHACHA20_POLY1305) + writer.public_key.raw + nonce + sealed


def _open(packet: bytes, secret_key: SecretKey) -> bytes | None:
    """The packet's payload if it was encrypted for secret_key, else None."""
    if _int(packet[:4]) != X25519_CHACHA20_POLY1305 or len(packet) < 4 + KEY_SIZE + NONCE_SIZE + MAC_SIZE:
        return None
    writer = PublicKey(packet[4 : 4 + KEY_SIZE])
    nonce, sealed = packet[4 + KEY_SIZE : 4 + KEY_SIZE + NONCE_SIZE], packet[4 + KEY_SIZE + NONCE_SIZE :]
    try:
        return ChaCha20Poly1305(secret_key.packet_key(writer, writing=False)).decrypt(nonce, sealed, None)
    except (InvalidTag, Crypt4GHError):
        # Another reader's packet, or a writer's key no exchange can use: not for this key either way.
        return None


def _data_key(payload: bytes) -> DataKey:
    if len(payload) < 8:
        raise HeaderInvalid(
            f"a packet of the Crypt4GH header holds {len(payload)} bytes, too few for any type"
        )
    packet_type = _int(payload[:4])
    if packet_type == EDIT_LIST_PACKET:
        raise HeaderInvalid(
            "the Crypt4GH header has an edit list (made with --range); only whole files are supported"
        )
    if packet_type != DATA_KEY_PACKET:
        raise HeaderInvalid(f"the Crypt4GH header has a packet of unknown type {packet_type}")
    method = _int(payload[4:8])
    if method != CHACHA20_IETF_POLY1305:
        raise HeaderInvalid(f"data encryption method {method} is not supported (only 0, ChaCha20-Poly1305)")
    if len(payload) != 8 + KEY_SIZE:
        raise HeaderInvalid(f"the data key packet holds {len(payload) - 8} bytes of key, not {KEY_SIZE}")
    return DataKey(payload[8:])

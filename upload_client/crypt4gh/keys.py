"""X25519 keys and the data key, as Crypt4GH uses them; their secrets never appear in a repr.

The X25519 exchange and the BLAKE2b step that turns it into a header packet's key are libsodium's
`crypto_kx`, as the reference implementation and the GA4GH specification use it: the packet's writer is
the "server", its reader the "client".
"""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from upload_client.crypt4gh.errors import Crypt4GHError

KEY_SIZE = 32
#: ChaCha20-Poly1305 (IETF, RFC 8439), the one cipher of Crypt4GH's header packets, its segments and its
#: private key files: its nonce and its MAC (Poly1305 tag), in bytes.
NONCE_SIZE = 12
MAC_SIZE = 16


def _checked(raw: bytes, what: str) -> bytes:
    raw = bytes(raw)
    if len(raw) != KEY_SIZE:
        raise Crypt4GHError(f"{what} must be {KEY_SIZE} bytes, not {len(raw)}")
    return raw


class _Key:
    """32 bytes of key, equal to the same bytes of the same kind."""

    __slots__ = ("raw",)
    what = "a key"

    def __init__(self, raw: bytes):
        self.raw = _checked(raw, self.what)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)


class PublicKey(_Key):
    """An X25519 public key: a file's reader, or the writer named in a header packet."""

    __slots__ = ()
    what = "an X25519 public key"

    @property
    def fingerprint(self) -> str:
        """A short name for messages: the first 16 hex digits of the key's SHA-256."""
        return hashlib.sha256(self.raw).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"PublicKey({self.fingerprint})"


class SecretKey:
    """An X25519 secret key (32 bytes, as the reference tool stores it)."""

    __slots__ = ("_private", "raw", "public_key")

    def __init__(self, raw: bytes):
        self.raw = _checked(raw, "an X25519 secret key")
        self._private = X25519PrivateKey.from_private_bytes(self.raw)
        self.public_key = PublicKey(self._private.public_key().public_bytes_raw())

    @classmethod
    def generate(cls) -> SecretKey:
        return cls(os.urandom(KEY_SIZE))

    def packet_key(self, peer: PublicKey, writing: bool) -> bytes:
        """The key of a header packet between this key and peer (libsodium's crypto_kx session key).

        The writer's transmit key equals the reader's receive key: BLAKE2b-512 of the X25519 result,
        the reader's public key and the writer's, first 32 bytes.
        """
        try:
            shared = self._private.exchange(X25519PublicKey.from_public_bytes(peer.raw))
        except ValueError:
            # A low-order point: the exchange yields all zeros, which libsodium refuses too.
            raise Crypt4GHError(f"the public key {peer.fingerprint} is not usable for X25519") from None
        reader, writer = (peer, self.public_key) if writing else (self.public_key, peer)
        return hashlib.blake2b(shared + reader.raw + writer.raw, digest_size=64).digest()[:KEY_SIZE]

    def __repr__(self) -> str:
        return f"SecretKey(public {self.public_key.fingerprint})"


class DataKey(_Key):
    """The 32-byte key that encrypts a file's segments (ChaCha20-Poly1305); new and random per upload."""

    __slots__ = ()
    what = "a data key"

    @classmethod
    def generate(cls) -> DataKey:
        return cls(os.urandom(KEY_SIZE))

    def __repr__(self) -> str:
        return "DataKey(hidden)"

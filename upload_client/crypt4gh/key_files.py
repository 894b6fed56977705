"""Key files in the reference `crypt4gh` tool's formats, so keys move freely between it and ucs.

A public key is its 32 bytes in base64 between `-----BEGIN CRYPT4GH PUBLIC KEY-----` lines. A secret key is
the "c4gh-v1" structure in base64 between PRIVATE KEY lines: a KDF name, its rounds and salt, a cipher
name, the key (encrypted with ChaCha20-Poly1305 under the passphrase's derived key, or in the clear), and
an optional comment; every string is prefixed by its length on two big-endian bytes. Keys are written
with scrypt, as the reference does; keys made with bcrypt or PBKDF2 are read too.

Key files are created whole, never overwriting a file, a secret key's readable by its owner only from its
first instant (upload_client.atomic_files).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from upload_client.atomic_files import write_new
from upload_client.crypt4gh.errors import KeyFileError, WrongPassphrase
from upload_client.crypt4gh.keys import KEY_SIZE, NONCE_SIZE, PublicKey, SecretKey

PUBLIC_LABEL = "CRYPT4GH PUBLIC KEY"
PRIVATE_LABEL = "CRYPT4GH PRIVATE KEY"
MAGIC_WORD = b"c4gh-v1"
CIPHER = b"chacha20_poly1305"
SALT_SIZE = 16

#: A passphrase, or a callable asked for one only when the key turns out to be protected.
Passphrase = str | Callable[[], str] | None


def _scrypt(passphrase: bytes, salt: bytes, rounds: int) -> bytes:
    # The reference's parameters; it writes rounds 0 and ignores them when reading.
    return hashlib.scrypt(passphrase, salt=salt, n=1 << 14, r=8, p=1, dklen=32)


def _bcrypt(passphrase: bytes, salt: bytes, rounds: int) -> bytes:
    import bcrypt  # only keys made by older tools use it

    return bcrypt.kdf(passphrase, salt=salt, desired_key_bytes=32, rounds=rounds, ignore_few_rounds=True)


def _pbkdf2(passphrase: bytes, salt: bytes, rounds: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", passphrase, salt, rounds, dklen=32)


KDFS = {b"scrypt": _scrypt, b"bcrypt": _bcrypt, b"pbkdf2_hmac_sha256": _pbkdf2}


def public_key_text(key: PublicKey) -> str:
    return _armor(PUBLIC_LABEL, key.raw)


def secret_key_text(key: SecretKey, passphrase: str | None, comment: str | None = None) -> str:
    """The secret key file's text; without a passphrase (None or "") the key is stored in the clear."""
    if passphrase:
        salt, nonce = os.urandom(SALT_SIZE), os.urandom(NONCE_SIZE)
        derived = _scrypt(passphrase.encode(), salt, 0)
        sealed = nonce + ChaCha20Poly1305(derived).encrypt(nonce, key.raw, None)
        body = _string(b"scrypt") + _string((0).to_bytes(4, "big") + salt) + _string(CIPHER) + _string(sealed)
    else:
        body = _string(b"none") + _string(b"none") + _string(key.raw)
    if comment is not None:
        body += _string(comment.encode())
    return _armor(PRIVATE_LABEL, MAGIC_WORD + body)


def parse_public_key(text: str | bytes, source: str = "the public key") -> PublicKey:
    return PublicKey(_unarmor(text, "public", source, size=KEY_SIZE))


def parse_secret_key(text: str | bytes, passphrase: Passphrase, source: str = "the secret key") -> SecretKey:
    """The key in a secret key file's text; passphrase is asked for only if the key is protected."""
    stream = io.BytesIO(_unarmor(text, "private", source))
    try:
        if stream.read(len(MAGIC_WORD)) != MAGIC_WORD:
            raise KeyFileError(f"{source} is not a Crypt4GH secret key (no c4gh-v1 marker)")
        kdf_name = _read_string(stream)
        if kdf_name == b"none":
            cipher, key_bytes = _read_string(stream), _read_string(stream)
            if cipher != b"none":
                raise KeyFileError(f"{source} names a cipher but no key derivation function")
            return _secret_key(key_bytes, source)
        if kdf_name not in KDFS:
            raise KeyFileError(f"{source} uses the key derivation function {kdf_name!r}, which is unknown")
        options, cipher, sealed = _read_string(stream), _read_string(stream), _read_string(stream)
    except EOFError:
        raise KeyFileError(f"{source} is truncated") from None
    if cipher != CIPHER:
        raise KeyFileError(f"{source} is encrypted with {cipher!r}; only chacha20_poly1305 is known")
    if len(options) < 4 or len(sealed) <= NONCE_SIZE:
        raise KeyFileError(f"{source} is damaged (its key derivation options or key are too short)")
    secret = passphrase() if callable(passphrase) else passphrase
    if not secret:
        raise WrongPassphrase(f"{source} is protected by a passphrase, and none was given")
    derived = KDFS[kdf_name](secret.encode(), options[4:], int.from_bytes(options[:4], "big"))
    try:
        key_bytes = ChaCha20Poly1305(derived).decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], None)
    except InvalidTag:
        raise WrongPassphrase(f"the passphrase does not unlock {source} (or the file was altered)") from None
    return _secret_key(key_bytes, source)


def read_public_key(path: str | os.PathLike) -> PublicKey:
    return parse_public_key(_read(path), source=str(path))


def read_secret_key(path: str | os.PathLike, passphrase: Passphrase = None) -> SecretKey:
    return parse_secret_key(_read(path), passphrase, source=str(path))


def write_secret_key(
    path: str | os.PathLike, key: SecretKey, passphrase: str | None, comment: str | None = None
) -> None:
    """Create the secret key file, mode 0600; FileExistsError if path exists (a key is never replaced)."""
    write_new(Path(path), secret_key_text(key, passphrase, comment).encode(), mode=0o600)


def write_public_key(path: str | os.PathLike, key: PublicKey, replace: bool = False) -> None:
    """Create the public key file, mode 0644; unless replace, FileExistsError if path exists."""
    write_new(Path(path), public_key_text(key).encode(), mode=0o644, replace=replace)


def _secret_key(key_bytes: bytes, source: str) -> SecretKey:
    if len(key_bytes) != KEY_SIZE:
        raise KeyFileError(f"{source} holds {len(key_bytes)} bytes of key, not {KEY_SIZE}")
    return SecretKey(key_bytes)


def _armor(label: str, data: bytes) -> str:
    return f"-----BEGIN {label}-----\n{base64.b64encode(data).decode()}\n-----END {label}-----\n"


def _unarmor(text: str | bytes, kind: str, source: str, size: int | None = None) -> bytes:
    """The bytes between the BEGIN and END lines of a Crypt4GH key of kind "public" or "private"."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    label = f"CRYPT4GH {kind.upper()} KEY"
    if len(lines) < 3 or lines[0] != f"-----BEGIN {label}-----" or lines[-1] != f"-----END {label}-----":
        raise KeyFileError(f"{source} is not a Crypt4GH {kind} key file")
    try:
        data = base64.b64decode("".join(lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{source} is damaged: its key is not valid base64") from None
    if size is not None and len(data) != size:
        raise KeyFileError(f"{source} holds {len(data)} bytes of key, not {size}")
    return data


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(2, "big") + data


def _read_string(stream: io.BytesIO) -> bytes:
    length = int.from_bytes(_read_exactly(stream, 2), "big")
    return _read_exactly(stream, length)


def _read_exactly(stream: io.BytesIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError
    return data


def _read(path: str | os.PathLike) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise KeyFileError(f"cannot read the key file {path}: {error.strerror}") from None

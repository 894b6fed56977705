"""Signing keys for the tokens UCS issues itself: made, kept in a file, published as a JWKS.

A key file is the private key as a JWK (RFC 7517) with two members of ours: "iss", the issuer its tokens
name, and "alg". Only `ucs tokens issue` and the built-in issuer read it; verification needs only the
public JWKS. Files are created 0600 and atomically, so two workers starting together never read half a key.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

from upload_client.atomic_files import write_new

# The algorithms `ucs tokens keygen` can make keys for, and how.
KEY_MAKERS = {
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
}
# The members of each key type that its RFC 7638 thumbprint covers.
THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
# Left out of the public JWKS: the private parts, and key_ops, which on a private key says "sign".
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k", "key_ops")


class KeyFileError(ValueError):
    """A key file is missing, unreadable or not a private JWK UCS can sign with."""


@dataclass(frozen=True)
class SigningKey:
    issuer: str
    jwk: dict

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    @property
    def algorithm(self) -> str:
        return self.jwk["alg"]

    def public_jwk(self) -> dict:
        return {name: value for name, value in self.jwk.items() if name not in PRIVATE_MEMBERS + ("iss",)}

    def jwks(self) -> dict:
        return {"keys": [self.public_jwk()]}

    def issue(
        self, subject: str, scope: str, audience: str, ttl_seconds: int, now: float | None = None
    ) -> str:
        """A signed token for subject with scope, valid for ttl_seconds from now."""
        issued_at = int(now if now is not None else time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "scope": scope,
            "iat": issued_at,
            "exp": issued_at + ttl_seconds,
            "jti": str(uuid.uuid4()),
        }
        private_key = jwt.PyJWK(self.jwk, self.algorithm).key
        return jwt.encode(claims, private_key, algorithm=self.algorithm, headers={"kid": self.kid})


def thumbprint(jwk: dict) -> str:
    """The key's RFC 7638 thumbprint, used as its kid: stable, and different for every key."""
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_key(issuer: str, algorithm: str = "ES256") -> SigningKey:
    if algorithm not in KEY_MAKERS:
        raise KeyFileError(f"cannot make {algorithm} keys; choose one of {', '.join(KEY_MAKERS)}")
    private_key = KEY_MAKERS[algorithm]()
    jwk = get_default_algorithms()[algorithm].to_jwk(private_key, as_dict=True)
    jwk.update(kid=thumbprint(jwk), alg=algorithm, use="sig")
    return SigningKey(issuer, jwk)


def read_key(path: str | os.PathLike) -> SigningKey:
    try:
        document = json.loads(Path(path).read_text())
    except OSError as error:
        raise KeyFileError(f"cannot read the signing key {path}: {error.strerror}") from None
    except ValueError:
        raise KeyFileError(f"the signing key {path} is not a JSON key file") from None
    if not isinstance(document, dict) or "d" not in document or not isinstance(document.get("iss"), str):
        raise KeyFileError(f"{path} is not a private key made by `ucs tokens keygen`")
    try:
        jwt.PyJWK(document, document.get("alg"))
    except (jwt.PyJWKError, jwt.InvalidKeyError, KeyError, ValueError) as error:
        raise KeyFileError(f"{path} holds no usable signing key: {error}") from None
    document.setdefault("kid", thumbprint(document))
    return SigningKey(document.pop("iss"), document)


def write_private(path: Path, document: dict) -> None:
    """Write a secret file readable by its owner only; fails with FileExistsError if path exists."""
    write_new(path, _json_text(document), mode=0o600)


def write_public(path: Path, document: dict) -> None:
    write_new(path, _json_text(document), mode=0o644, replace=True)


def _json_text(document: dict) -> bytes:
    return (json.dumps(document, indent=2) + "\n").encode()


def save_key(key: SigningKey, path: Path) -> None:
    write_private(path, {**key.jwk, "iss": key.issuer})


def instance_key(path: Path, issuer: str) -> SigningKey:
    """The built-in issuer's key: read it, or make it on first start (one winner when workers race)."""
    if not path.exists():
        # FileExistsError: another worker made it first, so use theirs.
        with contextlib.suppress(FileExistsError):
            save_key(make_key(issuer), path)
    return read_key(path)


def public_jwks(keys: Iterable[SigningKey]) -> dict:
    return {"keys": [key.public_jwk() for key in keys]}

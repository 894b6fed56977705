"""Tokens that must be refused, one per way a token can be wrong (tests of access control)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
from cryptography.hazmat.primitives import serialization

from tests.support.tokens import REMOVE, TestIssuer
from ucs.auth.keys import make_key


def segment(document: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def _claims(issuer: TestIssuer, scope: str) -> dict:
    now = int(time.time())
    return {"iss": issuer.name, "sub": "mallory", "aud": "ucs", "scope": scope, "iat": now, "exp": now + 600}


def unsigned(issuer: TestIssuer, scope: str) -> str:
    """alg none: the claims with no signature at all."""
    header = {"alg": "none", "typ": "JWT", "kid": issuer.key.kid}
    return f"{segment(header)}.{segment(_claims(issuer, scope))}."


def hmac_with_public_key(issuer: TestIssuer, scope: str) -> str:
    """HS256 'signed' with the issuer's public key, which anyone can fetch from its JWKS."""
    public_pem = jwt.PyJWK(issuer.key.public_jwk()).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = (
        f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': issuer.key.kid})}.{segment(_claims(issuer, scope))}"
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def bad_signature(issuer: TestIssuer, scope: str) -> str:
    """The issuer's name and kid, signed by a key that is not the issuer's."""
    impostor = make_key(issuer.name)
    private = jwt.PyJWK(impostor.jwk, "ES256").key
    return jwt.encode(_claims(issuer, scope), private, algorithm="ES256", headers={"kid": issuer.key.kid})


def forged(issuer: TestIssuer, untrusted: TestIssuer) -> dict:
    """Each refused kind of token, by name, as a function of the scope it claims."""
    now = int(time.time())
    return {
        "no token": lambda scope: None,
        "garbage": lambda scope: "not-a-jwt",
        "bad signature": lambda scope: bad_signature(issuer, scope),
        "alg none": lambda scope: unsigned(issuer, scope),
        "HS256 with the public key": lambda scope: hmac_with_public_key(issuer, scope),
        "expired": lambda scope: issuer.token(scope, iat=now - 7200, exp=now - 3600),
        "not yet valid": lambda scope: issuer.token(scope, nbf=now + 3600),
        "wrong issuer": lambda scope: untrusted.token(scope),
        "wrong audience": lambda scope: issuer.token(scope, aud="another-service"),
        "missing exp": lambda scope: issuer.token(scope, exp=REMOVE),
    }

"""Bearer token verification: a JWT signed by a trusted issuer, for this audience, still valid.

PyJWT checks the signature and the registered claims; this module decides which key and which algorithms
it may use, and turns every refusal into a message that says what is wrong with the token without ever
repeating the token itself.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import jwt

from ucs.auth.jwks import KeySource, UnknownKey
from ucs.auth.remembered import RememberedTokens, entry_size
from ucs.auth.scopes import Principal, parse_scope

# Asymmetric only: with an HMAC algorithm anyone holding the public key could sign tokens.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp")
# Longer than any real JWT; a bigger header is refused before any parsing.
MAX_TOKEN_LENGTH = 16 * 1024
# A client sends one token with thousands of requests (a part URL each): its verification is remembered
# for this long at most, never past its exp, and only while its issuer still publishes its key.
VERIFIED_CACHE_SECONDS = 60
VERIFIED_CACHE_SIZE = 4096


class InvalidToken(Exception):
    """The token cannot be accepted; the message says why, for the WWW-Authenticate header and the body."""


class TokenVerifier:
    def __init__(
        self,
        sources: list[KeySource],
        audience: str,
        algorithms: list[str],
        leeway: float,
        cache_bytes: int,
    ):
        self.sources = {source.issuer: source for source in sources}
        self.audience = audience
        self.algorithms = [name for name in algorithms if name in ASYMMETRIC_ALGORITHMS]
        self.leeway = leeway
        self.remembered: RememberedTokens[tuple[Principal, float, KeySource, str | None]] = RememberedTokens(
            VERIFIED_CACHE_SIZE, cache_bytes
        )

    def verify(self, token: str) -> Principal:
        """The token's principal, or InvalidToken saying why not."""
        now = time.time()
        remembered = self.remembered.get(token)
        if remembered is not None:
            principal, until, source, kid = remembered
            if now < until and source.publishes(kid):
                return principal
        principal, expires_at, source, kid = self._verify(token)
        until = min(expires_at + self.leeway, now + VERIFIED_CACHE_SECONDS)
        self.remembered.put(token, (principal, until, source, kid), entry_size(token, principal))
        return principal

    def _verify(self, token: str) -> tuple[Principal, float, KeySource, str | None]:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken(f"the token is longer than {MAX_TOKEN_LENGTH} characters")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:  # malformed, or a header PyJWT refuses (a kid that is no string, crit)
            raise InvalidToken("the token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise InvalidToken(
                f"the token is signed with {_shown(algorithm)}, which UCS does not accept "
                f"(it accepts {', '.join(self.algorithms)})"
            )
        issuer = unverified.get("iss")
        source = self.sources.get(issuer) if isinstance(issuer, str) else None
        if source is None:
            raise InvalidToken(f"the token's issuer {_shown(unverified.get('iss'))} is not trusted by UCS")
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        try:
            key = source.key(kid)
        except UnknownKey as error:
            raise InvalidToken(str(error)) from None
        if key.algorithm_name != algorithm:
            raise InvalidToken(
                f"the token's algorithm {algorithm} does not match its key's ({key.algorithm_name})"
            )
        claims = self._decode(token, key, algorithm, source.issuer, unverified)
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject.strip():
            raise InvalidToken("the token's sub claim is not a non-empty string")
        try:
            scopes = parse_scope(claims.get("scope"))
        except ValueError as error:
            raise InvalidToken(str(error)) from None
        return (
            Principal(subject=subject, scopes=scopes, issuer=source.issuer),
            float(claims["exp"]),
            source,
            kid,
        )

    def _decode(self, token: str, key: jwt.PyJWK, algorithm: str, issuer: str, unverified: dict) -> dict:
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken(f"the token expired at {_moment(unverified.get('exp'))}") from None
        except jwt.ImmatureSignatureError:
            moment = unverified.get("nbf", unverified.get("iat"))
            raise InvalidToken(f"the token is not valid before {_moment(moment)}") from None
        except jwt.MissingRequiredClaimError as error:
            raise InvalidToken(f"the token has no {error.claim} claim") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(
                f"the token is not meant for this service: its aud must include {self.audience!r}"
            ) from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the token's signature does not verify") from None
        except jwt.InvalidTokenError as error:
            # PyJWT's messages name the claim at fault and never contain the token.
            raise InvalidToken(f"the token is invalid: {error}") from None


def _moment(value: object) -> str:
    if isinstance(value, int | float) and abs(value) < 1e11:
        return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return "an unreadable time"


def _shown(value: object) -> str:
    """An attacker-controlled claim, short and quoted, for a message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

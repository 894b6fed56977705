"""The public keys of one trusted issuer, fetched from its JWKS URL (or file) and cached.

Providers rotate keys by kid: a token signed with a kid we do not know makes us fetch the set again, so a
new key works without a restart. That refetch happens at most once per refresh interval, so a flood of
tokens with made-up kids costs the provider one request per interval, not one per token.

A slow issuer costs one request its fetch's deadline (ucs/auth/jwks_fetch.py) at most: one request per
issuer fetches, while the others use the cached keys (or, with none yet, wait KEYS_WAIT at most and answer
503). Other issuers and /health never wait for it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import jwt

log = logging.getLogger(__name__)

# Seconds a request without cached keys waits for another request's fetch of them before answering 503.
KEYS_WAIT = 1.0
ASYMMETRIC_KEY_TYPES = ("EC", "RSA", "OKP")


class KeysUnavailable(Exception):
    """The issuer's keys could not be fetched and none are cached: no token of it can be checked now."""


class UnknownKey(Exception):
    """The token names a key the issuer does not publish (any more)."""


def read_file(path: str) -> Callable[[], dict]:
    def fetch() -> dict:
        try:
            return json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise KeysUnavailable(f"cannot read the JWKS file {path}: {error}") from None

    return fetch


def parse_jwks(document: object) -> dict[str | None, jwt.PyJWK]:
    """The usable signing keys of a JWKS by kid; encryption keys, symmetric keys and unknown types are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeysUnavailable("the JWKS is not a JSON object with a list of keys")
    keys = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") not in ASYMMETRIC_KEY_TYPES:
            continue  # a shared secret published in a JWKS would let anyone sign
        try:
            key = jwt.PyJWK(entry)
        except Exception:  # noqa: BLE001 - a key PyJWT cannot use (even alg "none") is skipped, not fatal
            continue
        keys[entry.get("kid")] = key
    return keys


class KeySource:
    """One issuer's keys by kid, refreshed when older than max_age or when a token names an unknown kid."""

    def __init__(
        self,
        issuer: str,
        fetch: Callable[[], dict],
        max_age: float,
        refresh_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.issuer = issuer
        self._fetch = fetch
        self._max_age = max_age
        self._refresh_interval = refresh_interval
        self._clock = clock
        self._keys: dict[str | None, jwt.PyJWK] | None = None
        self._fetched_at = float("-inf")
        # Refetches caused by unknown kids are limited on their own clock: a regular refresh just before
        # must not make UCS refuse the first token signed with a freshly rotated key.
        self._kid_refreshed_at = float("-inf")
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, kid: str | None) -> jwt.PyJWK:
        keys = self._current()
        if kid not in keys and self._clock() - self._kid_refreshed_at >= self._refresh_interval:
            self._kid_refreshed_at = self._clock()
            keys = self._refresh(keys)
        if kid in keys:
            return keys[kid]
        if kid is None and len(keys) == 1:
            return next(iter(keys.values()))  # an issuer with one key need not name it
        raise UnknownKey(
            "the token names no key"
            if kid is None
            else "the token is signed with a key its issuer does not publish"
        )

    def publishes(self, kid: str | None) -> bool:
        """Whether the keys as last fetched still hold kid (no fetch): remembered verifications check it."""
        keys = self._keys or {}
        return kid in keys or (kid is None and len(keys) == 1)

    def _current(self) -> dict[str | None, jwt.PyJWK]:
        if self._keys is None or self._clock() - self._fetched_at > self._max_age:
            return self._refresh(self._keys)
        return self._keys

    def _refresh(self, seen: dict | None) -> dict[str | None, jwt.PyJWK]:
        attempts = self.fetches
        if not self._lock.acquire(blocking=False):
            # Another thread is fetching. With keys cached, never wait for it: they were good a moment ago.
            if seen is not None:
                return seen
            if not self._lock.acquire(timeout=KEYS_WAIT):
                raise KeysUnavailable(
                    f"the keys of issuer {self.issuer} are still being fetched; retry shortly"
                )
        try:
            if self._keys is not seen or self.fetches != attempts:
                # Another thread fetched while we waited: its outcome is ours, rather than one fetch per waiter.
                return self._fetched_or_unavailable()
            if seen is None and self._clock() - self._fetched_at < self._refresh_interval:
                return self._fetched_or_unavailable()  # the last attempt failed moments ago
            return self._fetch_now(seen)
        finally:
            self._lock.release()

    def _fetched_or_unavailable(self) -> dict[str | None, jwt.PyJWK]:
        if self._keys is None:
            raise KeysUnavailable(f"the keys of issuer {self.issuer} could not be fetched; retry shortly")
        return self._keys

    def _fetch_now(self, seen: dict | None) -> dict[str | None, jwt.PyJWK]:
        self._fetched_at = self._clock()
        self.fetches += 1
        try:
            self._keys = parse_jwks(self._fetch())
        except Exception as error:  # noqa: BLE001 - whatever the provider sent, it is an outage here
            if not isinstance(error, KeysUnavailable):
                error = KeysUnavailable(
                    f"the keys of issuer {self.issuer} are unusable: {type(error).__name__}"
                )
            if seen is None:
                raise error from None
            # The provider is down: keep verifying with the keys we had rather than refuse every token.
            log.warning("keeping the cached keys of issuer %s: %s", self.issuer, error)
        return self._keys

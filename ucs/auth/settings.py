"""The UCS_AUTH_* settings, declared and checked as UCS reads them (ucs/settings.py), and the token verifier they make."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from ucs.auth.exposure import is_loopback
from ucs.auth.jwks import KeySource, read_file
from ucs.auth.jwks_fetch import fetch_url
from ucs.auth.keys import KeyFileError, SigningKey, instance_key, read_key
from ucs.auth.verify import ASYMMETRIC_ALGORITHMS, TokenVerifier
from ucs.settings import ConfigError, Setting

# The issuer of the tokens UCS signs itself when no other issuer is configured.
BUILTIN_ISSUER = "urn:ucs:builtin"
INSTANCE_KEY_FILE = "auth-signing-key.json"


def _algorithms(algorithms: list[str], instance_path: str) -> list[str]:
    refused = [name for name in algorithms if name not in ASYMMETRIC_ALGORITHMS]
    if refused or not algorithms:
        raise ConfigError(
            f"UCS_AUTH_ALGORITHMS may list only asymmetric algorithms ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}); "
            f"refused: {', '.join(refused) or 'an empty list'}"
        )
    return algorithms


def _audience(audience: Any, instance_path: str) -> str:
    if not (isinstance(audience, str) and audience):
        raise ConfigError("UCS_AUTH_AUDIENCE must be a non-empty string")
    return audience


def _seconds(key: str):
    def check(value: Any, instance_path: str) -> float:
        if not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"UCS_{key} must be a number of seconds of 0 or more, not {value!r}")
        return value

    return check


def _cache_bytes(cache_bytes: Any, instance_path: str) -> int:
    if not isinstance(cache_bytes, int) or isinstance(cache_bytes, bool) or cache_bytes < 0:
        raise ConfigError(
            f"UCS_AUTH_VERIFIED_CACHE_BYTES must be a whole number of bytes, not {cache_bytes!r}"
        )
    return cache_bytes


def _issuers(entries: Any, instance_path: str) -> list[dict[str, str]]:
    return issuers({"AUTH_ISSUERS": entries})


AUTH_SETTINGS = (
    # Trusted token issuers: a JSON list of {"issuer", "jwks_url"} or {"issuer", "jwks_file"}. Empty: UCS is
    # its own issuer, with a key kept in the instance directory.
    Setting("AUTH_ISSUERS", [], resolve=_issuers),
    # A token's aud claim must contain this.
    Setting("AUTH_AUDIENCE", "ucs", resolve=_audience),
    # The signature algorithms accepted; asymmetric ones only.
    Setting("AUTH_ALGORITHMS", ["ES256", "RS256", "EdDSA"], resolve=_algorithms),
    # Seconds of clock difference allowed when checking exp, nbf and iat.
    Setting("AUTH_LEEWAY", 30, resolve=_seconds("AUTH_LEEWAY")),
    # Seconds a fetched JWKS is used before it is fetched again.
    Setting("AUTH_JWKS_MAX_AGE", 300, resolve=_seconds("AUTH_JWKS_MAX_AGE")),
    # Seconds at least between two fetches of one issuer's JWKS caused by tokens with an unknown kid.
    Setting("AUTH_JWKS_REFRESH_INTERVAL", 10.0, resolve=_seconds("AUTH_JWKS_REFRESH_INTERVAL")),
    # The key file `ucs tokens issue` signs with (made by `ucs tokens keygen`). None: the built-in issuer's.
    Setting("AUTH_SIGNING_KEY", None),
    # Bytes of memory (estimated) the verified tokens a worker remembers may take; 0: none is remembered.
    # 32 MiB: thousands of ordinary tokens, about 300 with 800 scopes each.
    Setting("AUTH_VERIFIED_CACHE_BYTES", 32 * 1024 * 1024, resolve=_cache_bytes),
    # Turn access control off, for trusted networks only: every request may do anything.
    Setting("AUTH_DISABLED", False),
    # With access control off, `ucs serve` and `ucs run` listen on loopback (or a unix socket) only, unless
    # this says every caller on the network is trusted.
    Setting("AUTH_DISABLED_ALLOW_REMOTE", False),
)


def issuers(config: Mapping[str, Any]) -> list[dict[str, str]]:
    """UCS_AUTH_ISSUERS, each entry checked: an issuer name and exactly one of jwks_url and jwks_file."""
    entries = config["AUTH_ISSUERS"]
    if not isinstance(entries, list):
        raise ConfigError('UCS_AUTH_ISSUERS must be a JSON list like [{"issuer": "...", "jwks_url": "..."}]')
    for number, entry in enumerate(entries, start=1):
        where = f"UCS_AUTH_ISSUERS entry {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("issuer"), str) or not entry["issuer"]:
            raise ConfigError(f'{where} must be an object with an "issuer" string')
        sources = [name for name in ("jwks_url", "jwks_file") if name in entry]
        if len(sources) != 1 or not isinstance(entry[sources[0]], str):
            raise ConfigError(f'{where} ({entry["issuer"]}) needs exactly one of "jwks_url" and "jwks_file"')
        if "jwks_url" in entry:
            _check_key_url(entry["jwks_url"], f"{where} ({entry['issuer']}): jwks_url")
        unknown = set(entry) - {"issuer", "jwks_url", "jwks_file"}
        if unknown:
            raise ConfigError(f"{where} ({entry['issuer']}) has unknown keys: {', '.join(sorted(unknown))}")
    names = [entry["issuer"] for entry in entries]
    if len(set(names)) != len(names):
        raise ConfigError("UCS_AUTH_ISSUERS lists an issuer twice")
    return entries


def _check_key_url(url: str, what: str) -> None:
    """A key URL must name the host it connects to, over https (plain http only on loopback).

    The host is read with urllib3's parser, the one requests connects with: Python's urlsplit reads
    http://192.0.2.2:18435\\@127.0.0.1/ as 127.0.0.1 where requests connects to 192.0.2.2.
    """
    if "\\" in url:
        raise ConfigError(f"{what} must not hold a backslash: URL parsers disagree on the host it names")
    try:
        parts = parse_url(url)
    except LocationParseError:
        raise ConfigError(f"{what} is not a valid URL") from None
    if parts.auth is not None:
        # The message does not repeat the URL: the user:password it holds is a credential.
        raise ConfigError(
            f"{what} must not hold a user:password@ part: URL parsers disagree on the host it names"
        )
    # Plain http only to loopback: nobody on the network can change the keys on the way.
    secure = parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.host or ""))
    if not (secure and parts.host):
        raise ConfigError(
            f"{what} must be an https URL (plain http only on loopback): "
            "whoever could change the keys on the way could sign any token"
        )


def make_verifier(config: Mapping[str, Any], instance_path: str) -> TokenVerifier:
    """The verifier for the configured issuers, or for the built-in one when none are configured."""
    timing = {
        "max_age": config["AUTH_JWKS_MAX_AGE"],
        "refresh_interval": config["AUTH_JWKS_REFRESH_INTERVAL"],
    }
    entries = config["AUTH_ISSUERS"]  # checked as the setting was read (_issuers)
    if entries:
        sources = [
            KeySource(
                entry["issuer"],
                fetch_url(entry["jwks_url"]) if "jwks_url" in entry else read_file(entry["jwks_file"]),
                **timing,
            )
            for entry in entries
        ]
    else:
        key = builtin_key(instance_path)
        sources = [KeySource(key.issuer, key.jwks, **timing)]
    return TokenVerifier(
        sources,
        config["AUTH_AUDIENCE"],
        config["AUTH_ALGORITHMS"],
        config["AUTH_LEEWAY"],
        cache_bytes=config["AUTH_VERIFIED_CACHE_BYTES"],
    )


def builtin_key(instance_path: str) -> SigningKey:
    try:
        return instance_key(Path(instance_path) / INSTANCE_KEY_FILE, BUILTIN_ISSUER)
    except (KeyFileError, OSError) as error:
        raise ConfigError(f"the built-in token issuer's key cannot be used: {error}") from None


def signing_key(config: Mapping[str, Any], instance_path: str) -> SigningKey:
    """The key `ucs tokens issue` signs with: UCS_AUTH_SIGNING_KEY, else the built-in issuer's."""
    path = config["AUTH_SIGNING_KEY"]
    if path:
        try:
            return read_key(os.path.expanduser(path))
        except KeyFileError as error:
            raise ConfigError(f"UCS_AUTH_SIGNING_KEY: {error}") from None
    if config["AUTH_ISSUERS"]:
        raise ConfigError(
            "UCS trusts the issuers in UCS_AUTH_ISSUERS, not its built-in one: point UCS_AUTH_SIGNING_KEY "
            "at a key made by `ucs tokens keygen` (and list its issuer), or mint tokens with your issuer"
        )
    return builtin_key(instance_path)

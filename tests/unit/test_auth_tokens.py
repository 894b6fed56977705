"""Token verification without a server: keys from a JWKS document, a fake clock for the cache."""

from __future__ import annotations

import base64
import gc
import json
import re
import stat
import time
import tracemalloc

import jwt
import pytest

from tests.support.forged_tokens import hmac_with_public_key, segment, unsigned
from tests.support.tokens import REMOVE, TestIssuer
from ucs.auth.jwks import KeySource, KeysUnavailable, UnknownKey, parse_jwks
from ucs.auth.keys import KeyFileError, instance_key, make_key, read_key, save_key
from ucs.auth.settings import AUTH_SETTINGS
from ucs.auth.verify import InvalidToken, TokenVerifier

CACHE_SETTING = next(setting for setting in AUTH_SETTINGS if setting.key == "AUTH_VERIFIED_CACHE_BYTES")
CACHE_BYTES = CACHE_SETTING.default


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def issuer():
    issuer = TestIssuer("https://unit.example/")
    yield issuer
    issuer.close()


def verifier_for(issuer: TestIssuer, leeway: float = 30, **source_options) -> TokenVerifier:
    source = KeySource(issuer.name, issuer.jwks, max_age=300, refresh_interval=10, **source_options)
    return TokenVerifier([source], "ucs", ["ES256", "RS256", "EdDSA"], leeway, CACHE_BYTES)


def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(token)
    assert token not in str(refused.value)
    return str(refused.value)


def test_a_good_token_gives_its_subject_scopes_and_issuer(issuer):
    principal = verifier_for(issuer).verify(issuer.token("upload:F download:F", subject="alice"))
    assert (principal.subject, principal.scopes, principal.issuer) == (
        "alice",
        {"upload:F", "download:F"},
        issuer.name,
    )


@pytest.mark.parametrize("algorithm", ["ES256", "RS256", "EdDSA"])
def test_each_allowed_algorithm_verifies(algorithm):
    issuer = TestIssuer(algorithm=algorithm)
    try:
        assert verifier_for(issuer).verify(issuer.token("files:read")).scopes == {"files:read"}
    finally:
        issuer.close()


def test_refusals_say_what_is_wrong_and_never_repeat_the_token(issuer):
    verifier = verifier_for(issuer, leeway=0)
    now = int(time.time())
    expired = issuer.token(exp=now - 10, iat=now - 100)
    assert (
        refusal(verifier, expired)
        == f"the token expired at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now - 10))}"
    )
    assert refusal(verifier, issuer.token(nbf=now + 100)).startswith("the token is not valid before ")
    assert refusal(verifier, issuer.token(iat=now + 100)).startswith("the token is not valid before ")
    assert "its aud must include 'ucs'" in refusal(verifier, issuer.token(aud="other"))
    assert refusal(verifier, issuer.token(exp=REMOVE)) == "the token has no exp claim"
    assert refusal(verifier, issuer.token(sub=REMOVE)) == "the token has no sub claim"
    assert "not a non-empty string" in refusal(verifier, issuer.token(sub=" "))
    assert "is not trusted" in refusal(verifier, issuer.token(iss="https://elsewhere/"))
    assert "which UCS does not accept" in refusal(verifier, unsigned(issuer, "files:read"))
    assert "'HS256', which UCS does not accept" in refusal(
        verifier, hmac_with_public_key(issuer, "files:read")
    )
    assert refusal(verifier, "a.b.c") == "the token is not a well-formed JWT"
    assert "longer than" in refusal(verifier, "x" * 20000)
    assert "space-separated" in refusal(verifier, issuer.token(scope=42))


def test_the_leeway_forgives_small_clock_differences_only(issuer):
    now = int(time.time())
    token = issuer.token(exp=now - 10, iat=now - 100)
    assert verifier_for(issuer, leeway=30).verify(token).subject == "tester"
    assert "expired" in refusal(verifier_for(issuer, leeway=5), token)


def test_a_token_whose_algorithm_differs_from_its_key_is_refused():
    rsa_issuer = TestIssuer(algorithm="RS256")
    try:
        # RS256 key, but the header claims PS256 (also asymmetric, also allowed by configuration).
        verifier = TokenVerifier(
            [KeySource(rsa_issuer.name, rsa_issuer.jwks, 300, 10)], "ucs", ["RS256", "PS256"], 30, CACHE_BYTES
        )
        private = jwt.PyJWK(rsa_issuer.key.jwk, "RS256").key
        claims = jwt.decode(rsa_issuer.token(), options={"verify_signature": False})
        token = jwt.encode(claims, private, algorithm="PS256", headers={"kid": rsa_issuer.key.kid})
        assert "does not match its key" in refusal(verifier, token)
    finally:
        rsa_issuer.close()


def test_an_unknown_kid_refetches_at_most_once_per_interval():
    clock = Clock()
    fetched = []
    keys = {"keys": [make_key("i").public_jwk()]}

    def fetch():
        fetched.append(clock.now)
        return keys

    source = KeySource("i", fetch, max_age=300, refresh_interval=10, clock=clock)
    kid = keys["keys"][0]["kid"]
    assert source.key(kid) and len(fetched) == 1
    for _ in range(5):
        with pytest.raises(UnknownKey):
            source.key("made-up")
    assert len(fetched) == 2  # one refetch for the first unknown kid, none for the rest
    clock.now += 11
    with pytest.raises(UnknownKey):
        source.key("made-up")
    assert len(fetched) == 3
    clock.now += 301
    source.key(kid)
    assert len(fetched) == 4  # too old: fetched again


def test_an_issuer_that_is_down_keeps_its_cached_keys_and_is_not_asked_in_a_loop():
    clock = Clock()
    calls = []
    key = make_key("i")

    def fetch():
        calls.append(clock.now)
        if len(calls) > 1:
            raise KeysUnavailable("down")
        return {"keys": [key.public_jwk()]}

    source = KeySource("i", fetch, max_age=300, refresh_interval=10, clock=clock)
    source.key(key.kid)
    clock.now += 400
    assert source.key(key.kid)  # the refresh failed; the cached key still verifies
    assert len(calls) == 2

    never = KeySource(
        "j",
        lambda: (calls.append(clock.now), (_ for _ in ()).throw(KeysUnavailable("down")))[1],
        300,
        10,
        clock=clock,
    )
    for _ in range(3):
        with pytest.raises(KeysUnavailable):
            never.key(None)
    assert len(calls) == 3  # one attempt per interval, not one per token


def test_a_jwks_keeps_only_signing_keys_it_can_use():
    good = make_key("i").public_jwk()
    document = {
        "keys": [
            good,
            {**good, "kid": "enc", "use": "enc"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            "junk",
        ]
    }
    assert list(parse_jwks(document)) == [good["kid"]]
    with pytest.raises(KeysUnavailable):
        parse_jwks({"no": "keys"})


def test_key_files_are_private_and_made_once(tmp_path):
    path = tmp_path / "key.json"
    first = instance_key(path, "urn:ucs:builtin")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert instance_key(path, "urn:ucs:builtin").kid == first.kid  # read back, not made anew
    assert "d" not in first.public_jwk() and "d" in json.loads(path.read_text())
    with pytest.raises(FileExistsError):
        save_key(make_key("x"), path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("not json", "not a JSON key file"),
        ('{"kty": "EC"}', "not a private key"),
        ("[]", "not a private key"),
    ],
)
def test_a_key_file_ucs_cannot_sign_with_is_named(tmp_path, content, words):
    path = tmp_path / "key.json"
    path.write_text(content)
    with pytest.raises(KeyFileError, match=words):
        read_key(path)
    with pytest.raises(KeyFileError, match="cannot read"):
        read_key(tmp_path / "missing.json")


def test_a_remembered_verification_ends_with_the_token_and_with_its_key(issuer):
    verifier = verifier_for(issuer, leeway=0)
    short = issuer.token(ttl=1)
    assert verifier.verify(short).subject == "tester"
    assert verifier.verify(short).subject == "tester"  # remembered
    time.sleep(1.1)
    assert "expired" in refusal(verifier, short)

    rotating = TestIssuer()
    try:
        verifier = TokenVerifier(
            [KeySource(rotating.name, rotating.jwks, 300, 0)], "ucs", ["ES256"], 30, CACHE_BYTES
        )
        old = rotating.token()
        verifier.verify(old)
        rotating.rotate()
        verifier.verify(rotating.token())  # an unknown kid: the source fetches the new set
        assert "does not publish" in refusal(verifier, old)
    finally:
        rotating.close()


def crafted(issuer: TestIssuer, header: dict, claims: dict) -> str:
    """Signed by the issuer's key, with a header PyJWT itself would refuse to write."""
    segments = [segment({"alg": "ES256", "typ": "JWT", **header}), segment(claims)]
    signing_input = ".".join(segments).encode()
    algorithm = jwt.algorithms.ECAlgorithm(jwt.algorithms.ECAlgorithm.SHA256)
    signature = algorithm.sign(signing_input, jwt.PyJWK(issuer.key.jwk, "ES256").key)
    return f"{signing_input.decode()}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_crafted_headers_and_claims_are_refusals_not_errors(issuer):
    verifier = verifier_for(issuer)
    claims = jwt.decode(issuer.token(), options={"verify_signature": False})
    kid = issuer.key.kid
    for header, changed in [
        ({"kid": 42}, {}),
        ({"kid": kid, "crit": ["exp"]}, {}),
        ({"kid": kid}, {"iss": [issuer.name]}),
        ({"kid": kid}, {"iss": {"name": issuer.name}}),
    ]:
        token = crafted(issuer, header, {**claims, **changed})
        message = refusal(verifier, token)
        assert "not a well-formed JWT" in message or "is not trusted" in message


def test_a_key_pyjwt_cannot_use_is_skipped_and_a_broken_jwks_is_an_outage():
    good = make_key("i").public_jwk()
    odd = {**make_key("i").public_jwk(), "alg": "none"}
    assert list(parse_jwks({"keys": [odd, good]})) == [good["kid"]]

    def broken():
        raise RuntimeError("the provider sent something odd")

    with pytest.raises(KeysUnavailable, match="unusable"):
        KeySource("i", broken, 300, 10).key(None)


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://login.example.org/certs", True),
        ("http://127.0.0.1:8080/jwks.json", True),
        ("http://localhost/jwks.json", True),
        ("http://[::1]:8080/jwks.json", True),
        ("http://login.example.org/certs", False),
        ("file:///etc/passwd", False),
        ("https:///nohost", False),
    ],
)
def test_keys_come_over_https_or_from_loopback(url, accepted):
    from ucs.auth.settings import issuers
    from ucs.config import ConfigError

    config = {"AUTH_ISSUERS": [{"issuer": "i", "jwks_url": url}]}
    if accepted:
        assert issuers(config)
    else:
        with pytest.raises(ConfigError, match="must be an https URL"):
            issuers(config)


# Each names a loopback host to Python's urlsplit but makes requests connect elsewhere, or hides a
# credential; none is ever connected to here.
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://192.0.2.2:18435\\@127.0.0.1/jwks", "must not hold a backslash"),
        ("http://192.0.2.2\\@localhost/jwks", "must not hold a backslash"),
        ("https://login.example.org\\certs", "must not hold a backslash"),
        ("http://192.0.2.2:18435@127.0.0.1/jwks", "user:password@"),
        ("http://reader:secret-pass@127.0.0.1/jwks", "user:password@"),
        ("https://reader@login.example.org/certs", "user:password@"),
        ("http://127.0.0.1%2f@192.0.2.2/jwks", "user:password@"),
        ("http://127.0.0.1:notaport/jwks", "not a valid URL"),
        ("http://192.0.2.2#@127.0.0.1/jwks", "must be an https URL"),
        ("http://192.0.2.2?@127.0.0.1/jwks", "must be an https URL"),
    ],
)
def test_a_key_url_whose_host_parsers_read_differently_is_refused(url, words):
    from ucs.auth.settings import issuers
    from ucs.config import ConfigError

    with pytest.raises(ConfigError, match=re.escape(words)) as refused:
        issuers({"AUTH_ISSUERS": [{"issuer": "i", "jwks_url": url}]})
    assert "secret-pass" not in str(refused.value)


def test_a_jwks_fetch_failure_names_the_url_without_its_credentials():
    from ucs.auth.jwks_fetch import fetch_url

    with pytest.raises(KeysUnavailable) as refused:
        fetch_url("https://reader:pass-secret@127.0.0.1:9/jwks.json?access_token=query-secret")()
    assert "127.0.0.1:9/jwks.json" in str(refused.value)
    assert "pass-secret" not in str(refused.value) and "query-secret" not in str(refused.value)


def test_remembered_tokens_with_800_scopes_stay_under_the_byte_cap(issuer):
    cap = 1024 * 1024
    source = KeySource(issuer.name, issuer.jwks, max_age=300, refresh_interval=10)
    verifier = TokenVerifier([source], "ucs", ["ES256"], 30, cache_bytes=cap)
    source.key(issuer.key.kid)  # the keys are fetched before memory is counted
    tokens = [issuer.token(" ".join(f"upload:F{n}-{i}" for i in range(800))) for n in range(40)]
    assert all(len(token) < 16 * 1024 for token in tokens)  # real tokens, below the length UCS refuses

    gc.collect()
    tracemalloc.start()
    try:
        for token in tokens:
            assert len(verifier.verify(token).scopes) == 800
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()

    assert 0 < len(verifier.remembered) < len(tokens)  # the oldest went to make room
    assert verifier.remembered.bytes <= cap
    # The estimate is not below the real cost: what the cache really holds stays under the cap too.
    assert held <= cap, f"{held} bytes held for {len(verifier.remembered)} tokens"
    assert verifier.verify(tokens[-1]) is verifier.verify(tokens[-1])  # the newest is still remembered


def test_a_byte_cap_of_zero_remembers_nothing(issuer):
    source = KeySource(issuer.name, issuer.jwks, max_age=300, refresh_interval=10)
    verifier = TokenVerifier([source], "ucs", ["ES256"], 30, cache_bytes=0)
    assert verifier.verify(issuer.token("files:read")).scopes == {"files:read"}
    assert len(verifier.remembered) == 0


@pytest.mark.parametrize("value", [-1, 1.5, True, "32M"])
def test_a_byte_cap_that_is_no_whole_number_of_bytes_stops_start_up(value):
    from ucs.config import ConfigError

    with pytest.raises(ConfigError, match="UCS_AUTH_VERIFIED_CACHE_BYTES must be a whole number of bytes"):
        CACHE_SETTING.resolve(value, "instance")

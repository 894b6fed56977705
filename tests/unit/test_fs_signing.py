"""HMAC signatures of the filesystem store's URLs: every signed field counts, and so does the clock."""

import time
from urllib.parse import parse_qs

import pytest

from ucs_plugins.filesystem.signing import SignatureRefused, UrlSigner

SIGNER = UrlSigner(b"s" * 32)
REQUEST = ("PUT", "file/object", "ab" * 16, 3)


def signed(expires: int) -> tuple[str, str]:
    query = parse_qs(SIGNER.sign(*REQUEST, expires))
    return query["expires"][0], query["signature"][0]


def test_a_signed_request_verifies():
    SIGNER.verify(*REQUEST, *signed(int(time.time()) + 60))


@pytest.mark.parametrize("field", range(4), ids=["method", "key", "upload id", "part number"])
def test_changing_any_signed_field_is_refused(field):
    other = list(REQUEST)
    other[field] = 4 if field == 3 else other[field] + "x"
    with pytest.raises(SignatureRefused, match="does not match"):
        SIGNER.verify(*other, *signed(int(time.time()) + 60))


def test_another_key_signs_differently():
    with pytest.raises(SignatureRefused, match="does not match"):
        UrlSigner(b"t" * 32).verify(*REQUEST, *signed(int(time.time()) + 60))


def test_an_expired_signature_is_refused():
    with pytest.raises(SignatureRefused, match="expired"):
        SIGNER.verify(*REQUEST, *signed(int(time.time()) - 1))


@pytest.mark.parametrize("expires", ["", "soon", "-5", "1e9", "\u00b2", "\u0663\u0663", "9" * 5000])
def test_an_expiry_that_is_not_a_plain_number_is_refused(expires):
    _, signature = signed(int(time.time()) + 60)
    with pytest.raises(SignatureRefused, match="no valid expiry"):
        SIGNER.verify(*REQUEST, expires, signature)


@pytest.mark.parametrize("signature", ["\u00e9" * 64, "", "not hex at all"])
def test_a_signature_that_cannot_be_ours_is_refused_not_an_error(signature):
    expires, _ = signed(int(time.time()) + 60)
    with pytest.raises(SignatureRefused, match="does not match"):
        SIGNER.verify(*REQUEST, expires, signature)

"""Scopes are separated by spaces only: a signed scope joined by other whitespace grants nothing.

Real tokens, signed by an issuer whose JWKS UCS fetches over HTTP, against the API.
"""

from __future__ import annotations

import jwt
import pytest

from tests.support.tokens import bearer, default_issuer

# str.split() took each for whitespace, so "upload:A<it>download:*" granted download:* as well.
SEPARATORS = ["\u2028", "\u00a0", "\u1680", "\u3000", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\x0b"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("separator", SEPARATORS, ids=[f"U+{ord(c):04X}" for c in SEPARATORS])
def test_a_scope_joined_by_other_whitespace_is_refused_not_split(client, separator):
    assert client.put("/files/A", json={"size": 3}).status_code == 201
    smuggled = default_issuer().token(f"upload:A{separator}download:*")
    for path in ("/files/A", "/files/A/download", "/files/B"):
        response = client.get(path, headers=bearer(smuggled))
        assert response.status_code == 401, (path, response.get_json())
        assert "RFC 6749" in response.get_json()["message"]
    # The same scopes separated by a space are read as two.
    assert (
        client.get("/files/A", headers=bearer(default_issuer().token("upload:A download:*"))).status_code
        == 200
    )


def test_ucs_tokens_issue_refuses_a_scope_the_rfc_does_not_allow(make_app, sqlite_url):
    from ucs.cli.main import main

    runner = make_app(DATABASE_URL=sqlite_url, AUTH_ISSUERS=[]).test_cli_runner()
    refused = runner.invoke(main, ["tokens", "issue", "--scope", "upload:A\u2028download:*"])
    assert refused.exit_code == 2 and "RFC 6749" in refused.output
    issued = runner.invoke(main, ["tokens", "issue", "--scope", " upload:A  download:A "])
    assert issued.exit_code == 0, issued.output
    assert (
        jwt.decode(issued.output.strip(), options={"verify_signature": False})["scope"]
        == "upload:A download:A"
    )

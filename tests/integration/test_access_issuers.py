"""Trusted issuers as deployments have them: rotated keys, several issuers, UCS's own, none at all.

Each test runs UCS as a process (`ucs run`) and talks to it over HTTP, as a client would.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess

import jwt
import pytest
import requests

from tests.support.processes import VENV_BIN
from tests.support.tokens import STAFF_SCOPE, TestIssuer
from tests.support.ucs_server import ucs_server

pytestmark = pytest.mark.slow


def get_file(url: str, token: str, file_id: str = "f1") -> requests.Response:
    return requests.get(f"{url}/files/{file_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def register(url: str, token: str, file_id: str = "f1") -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.put(f"{url}/files/{file_id}", json={"size": 1}, headers=headers, timeout=10)


def trusting(*issuers: TestIssuer | dict) -> str:
    return json.dumps([item if isinstance(item, dict) else item.setting for item in issuers])


def ucs_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("UCS_")}
    return subprocess.run(
        [str(VENV_BIN / "ucs"), *args], env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def rotating_issuer():
    issuer = TestIssuer()
    yield issuer
    issuer.close()


def test_a_rotated_key_works_without_a_restart_and_the_removed_one_is_refused(rotating_issuer, tmp_path):
    issuer = rotating_issuer
    with ucs_server(tmp_path / "ucs", AUTH_ISSUERS=trusting(issuer), AUTH_JWKS_REFRESH_INTERVAL=1) as ucs:
        old = issuer.token(STAFF_SCOPE)
        assert register(ucs.url, old).status_code == 201
        fetched_before = issuer.fetches

        issuer.rotate()  # the old kid is gone from the JWKS; tokens are signed with the new key
        new = issuer.token(STAFF_SCOPE)
        assert new != old and jwt.get_unverified_header(new)["kid"] != jwt.get_unverified_header(old)["kid"]
        assert get_file(ucs.url, new).status_code == 200  # an unknown kid: UCS fetched the JWKS again
        assert issuer.fetches == fetched_before + 1

        refused = get_file(ucs.url, old)
        assert refused.status_code == 401
        assert "signed with a key its issuer does not publish" in refused.json()["message"]
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_tokens_with_made_up_key_ids_cannot_make_ucs_hammer_the_issuer(rotating_issuer, tmp_path):
    issuer = rotating_issuer
    with ucs_server(tmp_path / "ucs", AUTH_ISSUERS=trusting(issuer), AUTH_JWKS_REFRESH_INTERVAL=60) as ucs:
        assert register(ucs.url, issuer.token(STAFF_SCOPE)).status_code == 201
        fetched = issuer.fetches
        impostor = TestIssuer(issuer.name)  # same issuer name, keys of its own, a new kid each time
        try:
            for _ in range(50):
                impostor.rotate()
                assert get_file(ucs.url, impostor.token(STAFF_SCOPE)).status_code == 401
        finally:
            impostor.close()
        # At most one refetch in the refresh interval, whatever the number of unknown kids.
        assert issuer.fetches - fetched <= 1
        assert get_file(ucs.url, issuer.token(STAFF_SCOPE)).status_code == 200


def test_two_issuers_at_once_an_oidc_provider_by_url_and_a_portal_key_by_file(rotating_issuer, tmp_path):
    """Staff tokens from the provider, per-file tokens from a portal key made with `ucs tokens keygen`."""
    keys = tmp_path / "portal"
    made = ucs_cli("tokens", "keygen", "--issuer", "archive-portal", "--output-dir", str(keys), env={})
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((keys / "signing-key.json").stat().st_mode) == 0o600
    assert "d" not in json.loads((keys / "jwks.json").read_text())["keys"][0]
    portal = {"issuer": "archive-portal", "jwks_file": str(keys / "jwks.json")}
    issuers = trusting(rotating_issuer, portal)

    with ucs_server(tmp_path / "ucs", AUTH_ISSUERS=issuers) as ucs:
        staff = rotating_issuer.token(STAFF_SCOPE, subject="curator")
        assert register(ucs.url, staff).status_code == 201
        minted = ucs_cli(
            "tokens",
            "issue",
            "--scope",
            "download:f1",
            "--subject",
            "portal-user",
            env={"UCS_AUTH_SIGNING_KEY": str(keys / "signing-key.json"), "UCS_AUTH_ISSUERS": issuers,
                 "UCS_INSTANCE_PATH": str(tmp_path / "cli")},
        )  # fmt: skip
        assert minted.returncode == 0, minted.stderr
        portal_token = minted.stdout.strip()
        assert len(minted.stdout.splitlines()) == 1  # the token alone: TOKEN=$(ucs tokens issue ...)
        assert jwt.decode(portal_token, options={"verify_signature": False})["iss"] == "archive-portal"
        assert get_file(ucs.url, portal_token).status_code == 200
        assert register(ucs.url, portal_token, "f2").status_code == 403  # a download token registers nothing
        # Tokens of one issuer cannot pass for the other's: the portal's kid is unknown to the provider.
        forged = jwt.encode(
            {**jwt.decode(portal_token, options={"verify_signature": False}), "iss": rotating_issuer.name},
            jwt.PyJWK(json.loads((keys / "signing-key.json").read_text())).key,
            algorithm="ES256",
            headers={"kid": jwt.get_unverified_header(portal_token)["kid"]},
        )
        assert get_file(ucs.url, forged).status_code == 401


def test_without_issuers_ucs_is_its_own_and_mints_with_ucs_tokens_issue(tmp_path):
    instance = tmp_path / "ucs"
    with ucs_server(instance, AUTH_ISSUERS="[]") as ucs:
        key_file = instance / "auth-signing-key.json"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        env = {"UCS_INSTANCE_PATH": str(instance)}
        minted = ucs_cli("tokens", "issue", "--scope", "files:register upload:f1", "--ttl", "5m", env=env)
        assert minted.returncode == 0, minted.stderr
        token = minted.stdout.strip()
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 300 and claims["scope"] == "files:register upload:f1"
        assert register(ucs.url, token).status_code == 201
        assert requests.get(f"{ucs.url}/files/f1", timeout=10).status_code == 401
        # Another instance's key is not this one's: its tokens are refused.
        other = ucs_cli(
            "tokens", "issue", "--scope", "files:read", env={"UCS_INSTANCE_PATH": str(tmp_path / "x")}
        )
        assert get_file(ucs.url, other.stdout.strip()).status_code == 401

        refused = ucs_cli("tokens", "issue", "--scope", "files:read", "--ttl", "soon", env=env)
        assert refused.returncode == 2 and "'soon' is not a duration" in refused.stderr


def test_auth_disabled_lets_every_request_through_and_says_so(tmp_path):
    with ucs_server(tmp_path / "ucs", AUTH_DISABLED="true") as ucs:
        assert requests.get(f"{ucs.url}/health", timeout=10).json()["auth"] == "disabled"
        assert requests.put(f"{ucs.url}/files/f1", json={}, timeout=10).status_code == 201
        started = requests.post(f"{ucs.url}/files/f1/multipart_uploads", timeout=10).json()
        assert started["started_by"] == "anonymous"
        log = ucs.log.read_text()
    assert "access control is DISABLED" in log and "NOT CHECKED" in log


def test_settings_that_would_weaken_verification_stop_start_up(tmp_path):
    env = {"UCS_INSTANCE_PATH": str(tmp_path / "i"), "UCS_LOAD_ENTRY_POINTS": "false"}
    for name, value, words in [
        ("UCS_AUTH_ALGORITHMS", "ES256,HS256", "refused: HS256"),
        ("UCS_AUTH_ALGORITHMS", "none", "refused: none"),
        ("UCS_AUTH_ISSUERS", '[{"issuer": "x"}]', 'needs exactly one of "jwks_url" and "jwks_file"'),
        ("UCS_AUTH_ISSUERS", '{"issuer": "x"}', "must be a JSON list"),
        ("UCS_AUTH_ISSUERS", '[{"issuer": "x", "jwks_url": "file:///etc/passwd"}]', "must be an https URL"),
    ]:
        result = ucs_cli("db", "current", env={**env, name: value})
        assert result.returncode != 0 and words in result.stderr, (name, value, result.stderr)
        assert "Traceback" not in result.stderr


def test_an_unreachable_jwks_is_503_and_changes_nothing(make_app, sqlite_url):
    issuer = TestIssuer()
    issuer.close()  # nothing answers at its JWKS URL any more
    app = make_app(DATABASE_URL=sqlite_url, AUTH_ISSUERS=[issuer.setting])
    client = app.test_client()
    response = client.put("/files/f1", json={}, headers={"Authorization": f"Bearer {issuer.token()}"})
    assert response.status_code == 503
    assert "cannot check tokens right now" in response.get_json()["message"]
    assert client.get("/files/f1", headers={"Authorization": f"Bearer {issuer.token()}"}).status_code == 503
    with app.app_context():
        from ucs.db.base import db
        from ucs.db.models import File

        assert db.session.scalars(db.select(File)).all() == []


# `ucs serve` with os.execv recorded instead of run: everything up to starting gunicorn happens for real.
SERVE_UNTIL_GUNICORN = """
import os, sys
def recorded(path, arguments):
    print("gunicorn:", " ".join(arguments[1:]))
    sys.exit(0)
os.execv = recorded
from ucs.cli.main import main
main(sys.argv[1:])
"""


def test_auth_disabled_is_refused_on_a_public_address_unless_explicitly_allowed(tmp_path):
    env = {"UCS_INSTANCE_PATH": str(tmp_path / "i"), "UCS_AUTH_DISABLED": "true"}
    for command in (["serve", "--bind", "0.0.0.0:8000"], ["run", "--host", "0.0.0.0"]):
        refused = ucs_cli(*command, env=env)
        assert refused.returncode == 1, refused.stderr
        assert "Traceback" not in refused.stderr, refused.stderr
        # The start-up warning every app logs with UCS_AUTH_DISABLED, then the refusal in one line.
        error = refused.stderr.strip().splitlines()[-1]
        assert error.startswith("Error: access control is disabled (UCS_AUTH_DISABLED)"), refused.stderr
        assert "0.0.0.0" in error and "UCS_AUTH_DISABLED_ALLOW_REMOTE=true" in error

    clean = {key: value for key, value in os.environ.items() if not key.startswith("UCS_")}
    for extra, bind in [({"UCS_AUTH_DISABLED_ALLOW_REMOTE": "true"}, "0.0.0.0:8000"), ({}, "127.0.0.1:8000")]:
        allowed = subprocess.run(
            [str(VENV_BIN / "python"), "-c", SERVE_UNTIL_GUNICORN, "serve", "--bind", bind],
            env={**clean, **env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert allowed.returncode == 0, allowed.stderr
        assert f"--bind {bind}" in allowed.stdout

"""A real token issuer for tests: its own signing keys, its JWKS served over HTTP on 127.0.0.1.

UCS verifies test tokens exactly as it verifies production ones: it fetches this issuer's JWKS by URL and
checks signatures, issuer, audience and times. Nothing in UCS is patched. One issuer serves the whole test
process (`default_issuer()`), and the fixtures hand its tokens to every API call, so a test that is not
about access control uses a staff token without saying so.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

from ucs.auth.keys import SigningKey, make_key

# Everything a token can allow: what the archive's staff and the fixtures use.
STAFF_SCOPE = "files:register files:read uploads:manage upload:* download:*"
AUDIENCE = "ucs"
REMOVE = object()  # a claim value that leaves the claim out of the token


class TestIssuer:
    """Signs tokens with its current key and serves the public keys it publishes at jwks_url."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, name: str | None = None, algorithm: str = "ES256"):
        self.name = name or f"https://issuer-{uuid.uuid4().hex[:8]}.test/"
        self.algorithm = algorithm
        self.key = make_key(self.name, algorithm)
        self.published: list[SigningKey] = [self.key]
        self.fetches = 0
        # Seconds between the bytes of the JWKS body; None: all at once. A slow issuer, for timeout tests.
        self.trickle: float | None = None
        self.trickle_headers = False  # the status line and headers too
        self._closed = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.jwks_url = f"http://127.0.0.1:{self._server.server_port}/jwks.json"

    @property
    def setting(self) -> dict[str, str]:
        """This issuer's entry for UCS_AUTH_ISSUERS."""
        return {"issuer": self.name, "jwks_url": self.jwks_url}

    def jwks(self) -> dict:
        return {"keys": [key.public_jwk() for key in self.published]}

    def token(
        self, scope: str = STAFF_SCOPE, subject: str = "tester", ttl: float = 6 * 3600, **claims: Any
    ) -> str:
        """A token signed with the current key; claims override the standard ones (REMOVE drops one)."""
        now = int(time.time())
        body = {"iss": self.name, "sub": subject, "aud": AUDIENCE, "scope": scope, "iat": now}
        body["exp"] = now + int(ttl)
        body.update(claims)
        body = {name: value for name, value in body.items() if value is not REMOVE}
        private = jwt.PyJWK(self.key.jwk, self.algorithm).key
        return jwt.encode(body, private, algorithm=self.algorithm, headers={"kid": self.key.kid})

    def rotate(self, keep_old: bool = False) -> None:
        """Sign with a new key from now on; the JWKS publishes it (and the old one only with keep_old)."""
        self.key = make_key(self.name, self.algorithm)
        self.published = [*self.published, self.key] if keep_old else [self.key]

    def close(self) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.fetches += 1
                body = json.dumps(issuer.jwks()).encode()
                if issuer.trickle is not None and issuer.trickle_headers:
                    head = f"HTTP/1.0 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    self.trickled(head + body)
                    return
                self.send_response(200 if self.path == "/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if issuer.trickle is None:
                    self.wfile.write(body)
                else:
                    self.trickled(body)

            def trickled(self, data: bytes) -> None:
                with contextlib.suppress(OSError):  # UCS gave up and closed the connection
                    for index in range(len(data)):
                        if issuer._closed.wait(issuer.trickle):
                            return
                        self.wfile.write(data[index : index + 1])

            def log_message(self, *args):
                pass

        return Handler


_default: TestIssuer | None = None
_lock = threading.Lock()


def default_issuer() -> TestIssuer:
    """The issuer every fixture trusts, started on first use and kept for the test process."""
    global _default
    with _lock:
        if _default is None:
            _default = TestIssuer("https://tests.ucs.example/")
        return _default


def staff_token() -> str:
    return default_issuer().token(STAFF_SCOPE, subject="staff")


def bearer(token: str | None = None) -> dict[str, str]:
    """The Authorization header for token (a staff token by default)."""
    return {"Authorization": f"Bearer {token or staff_token()}"}


def staff_client(app):
    """A Flask test client whose requests carry a staff token."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = bearer()["Authorization"]
    return client


def auth_settings(*issuers: TestIssuer) -> dict[str, Any]:
    """App settings that trust the given issuers (the default one when none is given)."""
    return {"AUTH_ISSUERS": [issuer.setting for issuer in issuers or (default_issuer(),)]}


def auth_environment(*issuers: TestIssuer) -> dict[str, str]:
    """The same, as UCS_* environment variables for a UCS process."""
    return {f"UCS_{key}": json.dumps(value) for key, value in auth_settings(*issuers).items()}

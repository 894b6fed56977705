"""`ucs serve` and `ucs run` as processes: log lines, request ids, graceful stop, and no secret in any line.

The embedded default (SQLite, filesystem store) is the setting: UCS then serves its store's signed URLs
itself, so their signatures pass through its request log.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.rest import Rest, upload_path
from tests.support.ucs_server import ucs_server

CHUNKS = [b"x" * 2000, b"y" * 2000, b"z" * 100]
DATA = b"".join(CHUNKS)
# A token as a client would send it; UCS must never write it down, valid or not.
BEARER_TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtc3ViamVjdCJ9." + uuid.uuid4().hex


def signature_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["signature"][0]


def journey(rest: Rest) -> list[str]:
    """Upload and download through UCS's own store; returns every secret that crossed the wire."""
    rest.register("secrets.bin", size=len(DATA))
    upload = rest.upload("secrets.bin", CHUNKS)
    download = rest.expect(200, "GET", "/files/secrets.bin/download").json()
    assert requests.get(download["url"], timeout=10).content == DATA
    rest.register("second.bin")
    second = rest.start("second.bin")["upload_id"]
    part_url = rest.expect(200, "POST", upload_path(second, "/part/1/presigned_post")).json()["url"]
    assert requests.put(part_url, data=b"part", timeout=10).status_code == 200
    rest.call("GET", "/health", headers={"Authorization": f"Bearer {BEARER_TOKEN}"})
    rest.call("GET", "/files/secrets.bin", headers={"Authorization": f"Bearer {BEARER_TOKEN}"})
    assert upload["status"] == "uploaded"
    return [signature_of(download["url"]), signature_of(part_url), BEARER_TOKEN]


def helper_tokens(rest: Rest) -> list[str]:
    """Whatever credentials the test helpers themselves send (bearer tokens, once UCS asks for them)."""
    header = rest.session.headers.get("Authorization", "")
    return [header.partition(" ")[2]] if header else []


@pytest.mark.parametrize("server", ["serve", "run"])
def test_no_secret_reaches_a_log_line_and_every_request_has_one(server, tmp_path, monkeypatch):
    signing_key = "signing-key-" + uuid.uuid4().hex
    # `ucs serve` makes its metrics directory in the temporary directory: here, to see it removed.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    workers = 2 if server == "serve" else None
    with ucs_server(tmp_path / "ucs", serve_workers=workers, STORAGE_SIGNING_KEY=signing_key) as ucs:
        rest = Rest(ucs.url)
        secrets = [signing_key, *journey(rest), *helper_tokens(rest)]
        traced = rest.call("GET", "/files/secrets.bin", headers={"X-Request-ID": "trace-serve-1"})
    log = ucs.log.read_text()

    leaked = [secret for secret in secrets if secret in log]
    assert not leaked, f"secrets in {ucs.log}: {leaked}"
    assert not re.search(r"signature=[0-9a-f]{16}", log)
    assert traced.headers["X-Request-ID"] == "trace-serve-1"
    request_lines = [line for line in log.splitlines() if "ucs.requests" in line]
    assert any("trace-serve-1" in line and "/files/<path:file_id>" in line for line in request_lines)
    # One line per request, each naming the route: the part PUTs of both uploads among them.
    assert sum("/storage/uploads/<upload_id>/<int:part_no>" in line for line in request_lines) == 4
    assert not any("?" in line for line in request_lines)

    if server == "serve":
        records = [json.loads(line) for line in log.splitlines()]  # JSON lines, every one
        assert {"request_id", "method", "route", "status", "duration_seconds"} <= set(
            next(r for r in records if r["logger"] == "ucs.requests")
        )
        assert ucs.process.returncode == 0  # SIGTERM: a graceful stop
        assert not list(tmp_path.glob("ucs-metrics-*"))
    else:
        assert any(re.match(r"\d{4}-\d\d-\d\dT\S+ INFO ucs.requests: PATCH ", line) for line in request_lines)

"""`ucs serve` and `ucs run` as processes: log lines, request ids, graceful stop, and no secret in any line;
a start-up that says what it serves, and stops in one line on a store that cannot serve.

The embedded default (SQLite, filesystem store) is the setting: UCS then serves its store's signed URLs
itself, so their signatures pass through its request log.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.processes import VENV_BIN, free_port
from tests.support.rest import Rest, upload_path
from tests.support.s3_servers import moto_server
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


def test_serve_says_what_it_serves_in_one_line_each_before_serving(tmp_path):
    with ucs_server(tmp_path / "ucs", serve_workers=2) as ucs:
        pass
    records = [json.loads(line) for line in ucs.log.read_text().splitlines()]
    first_request = next(n for n, record in enumerate(records) if record["logger"] == "ucs.requests")
    start_up = records[:first_request]
    messages = [record["message"] for record in start_up]

    assert not [record for record in start_up if record["logger"].startswith("alembic")]
    assert {record["logger"] for record in start_up} <= {"ucs.cli.startup", "ucs.cli.serve", "gunicorn.error"}
    assert (
        sum(m.startswith("database: migrated from schema revision none (empty) to ") for m in messages) == 1
    )
    assert sum(m == f"database: sqlite:///{tmp_path / 'ucs' / 'ucs.sqlite3'}" for m in messages) == 1
    assert sum(m == f"storage: filesystem at {tmp_path / 'ucs' / 'storage'}" for m in messages) == 1
    assert sum(m.startswith(f"Listening at: {ucs.url}") for m in messages) == 1


def store_failure(command: str, tmp_path, **settings: str) -> subprocess.CompletedProcess:
    """Run `ucs run` or `ucs serve` on a store that cannot serve; it should stop at once."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("UCS_", "AWS_"))}
    # boto3 looks for credentials in ~/.aws and at the instance metadata address: neither here.
    env |= {"HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}
    env |= {"UCS_INSTANCE_PATH": str(tmp_path / "instance"), "UCS_LOAD_ENTRY_POINTS": "false"}
    env |= {f"UCS_{key}": value for key, value in settings.items()}
    port = str(free_port())
    arguments = ["run", "--port", port] if command == "run" else ["serve", "--bind", f"127.0.0.1:{port}"]
    return subprocess.run(
        [str(VENV_BIN / "ucs"), *arguments], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


def s3_settings(endpoint_url: str, bucket: str, credentials: bool = True) -> dict[str, str]:
    settings = {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": endpoint_url, "S3_BUCKET": bucket}
    if credentials:
        settings |= {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing-secret"}
    return settings


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_missing_bucket_stops_the_server_in_one_line(command, moto, tmp_path):
    result = store_failure(command, tmp_path, **s3_settings(moto.endpoint_url, "no-such-bucket"))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: the object store (UCS_STORAGE_BACKEND=s3) does not answer: bucket no-such-bucket does not "
        "exist. Check its settings (docs/configuration.md), or set UCS_STORAGE_CHECK_AT_START=false where "
        "the store starts after UCS"
    )
    assert "Traceback" not in result.stderr and "testing-secret" not in result.stderr + result.stdout
    assert "Listening at" not in result.stderr and "UCS serving" not in result.stdout


@pytest.mark.parametrize(
    "settings, problem",
    [
        (
            lambda moto: s3_settings(f"http://127.0.0.1:{free_port()}", "ucs"),
            "Could not connect to the endpoint URL",
        ),
        (
            lambda moto: s3_settings(moto.endpoint_url, "ucs", credentials=False),
            "Unable to locate credentials",
        ),
    ],
    ids=["nobody listens at the endpoint", "no credentials"],
)
def test_an_unreachable_or_unusable_store_stops_serve_in_one_line(settings, problem, moto, tmp_path):
    result = store_failure("serve", tmp_path, **settings(moto))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert error.startswith("Error: the object store (UCS_STORAGE_BACKEND=s3) does not answer: bucket ucs: ")
    assert problem in error and "UCS_STORAGE_CHECK_AT_START=false" in error


def test_a_store_that_comes_up_later_can_be_waited_for(moto, tmp_path):
    bucket = f"later-{uuid.uuid4().hex[:8]}"
    settings = s3_settings(moto.endpoint_url, bucket) | {"STORAGE_CHECK_AT_START": "false"}
    with ucs_server(tmp_path / "ucs", serve_workers=1, **settings) as ucs:
        before = requests.get(f"{ucs.url}/health", timeout=10)
        moto.client().create_bucket(Bucket=bucket)
        after = requests.get(f"{ucs.url}/health", timeout=10)
    assert before.status_code == 503 and before.json()["storage"].startswith("unavailable")
    assert after.status_code == 200 and after.json()["storage"] == "ok"

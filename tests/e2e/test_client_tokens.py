"""upload-client with real tokens: per-file tokens, refusals as one line with exit code 6, token files.

The tokens are real JWTs of the test issuer; UCS (a process) fetches its JWKS over HTTP. No test token
may appear in anything the client prints.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.support.client_runs import (
    CLIENT,
    MiB,
    client_env,
    make_file,
    pending_upload,
    register,
    run_client,
    uploads_of,
    wait_until,
)
from tests.support.client_runs import (
    upload_args as client_upload_args,
)
from tests.support.tokens import default_issuer
from tests.support.ucs_server import ucs_server

pytestmark = pytest.mark.slow
ACCESS_REFUSED = 6


@pytest.fixture(scope="module")
def ucs(tmp_path_factory, proxy):
    # No leeway, so that a token meant to expire mid-upload does so when the test says.
    settings = {"PART_SIZE": MiB, "FILESYSTEM_PUBLIC_URL": proxy.url, "AUTH_LEEWAY": 0}
    with ucs_server(tmp_path_factory.mktemp("ucs"), **settings) as server:
        proxy.forward_to(int(server.url.rsplit(":", 1)[1]))
        yield server


@pytest.fixture
def slow_store(proxy):
    """Part uploads through the proxy at 1 MiB/s each, so an upload outlives a short-lived token."""
    proxy.reset()
    proxy.part_rate_limit = MiB
    yield proxy
    proxy.reset()


def token(scope: str, subject: str = "submitter", ttl: float = 3600) -> str:
    return default_issuer().token(scope, subject=subject, ttl=ttl)


def as_bearer_of(token_text: str | None) -> dict[str, str]:
    """The client's environment with UCS_TOKEN set to token_text (or no token at all)."""
    env = client_env()
    del env["UCS_TOKEN"]
    return env if token_text is None else {**env, "UCS_TOKEN": token_text}


def upload_args(api: str, file_id: str, path, *more: str) -> list[str]:
    return client_upload_args(api, file_id, path, "--parallel", "2", *more)


def assert_refused(result, *words: str, secrets: tuple[str, ...] = ()) -> None:
    assert result.returncode == ACCESS_REFUSED, (result.returncode, result.stdout, result.stderr)
    [line] = result.stderr.strip().splitlines()[-1:]
    for word in words:
        assert word in line, line
    for secret in secrets:
        assert secret not in result.stdout + result.stderr


def test_per_file_tokens_upload_read_and_download_only_their_own_file(ucs, tmp_path):
    source = make_file(tmp_path / "own.bin", 3 * MiB + 5, seed=21)
    register(ucs.url, "tokens-own", source)
    register(ucs.url, "tokens-foreign", source)
    upload_token, download_token = token("upload:tokens-own"), token("download:tokens-own")

    uploaded = run_client(*upload_args(ucs.url, "tokens-own", source), env=as_bearer_of(upload_token))
    assert uploaded.returncode == 0, uploaded.stderr
    status = run_client(
        "status", "--file-id", "tokens-own", "--api-url", ucs.url, env=as_bearer_of(upload_token)
    )
    assert status.returncode == 0 and "uploaded" in status.stdout, status.stderr

    target = tmp_path / "back.bin"
    download = ["download", "--file-id", "tokens-own", "--api-url", ucs.url, "--output", str(target)]
    refused = run_client(*download, env=as_bearer_of(upload_token))
    assert_refused(
        refused, "no permission to download file tokens-own", "download:tokens-own", secrets=(upload_token,)
    )
    assert not target.exists() and not target.with_name("back.bin.part").exists()

    downloaded = run_client(*download, env=as_bearer_of(download_token))
    assert downloaded.returncode == 0, downloaded.stderr
    assert target.read_bytes() == source.read_bytes()

    foreign = run_client(*upload_args(ucs.url, "tokens-foreign", source), env=as_bearer_of(upload_token))
    assert_refused(foreign, "no permission to read file tokens-foreign", secrets=(upload_token,))
    assert uploads_of(ucs.url, "tokens-foreign") == []
    [upload] = uploads_of(ucs.url, "tokens-own")
    assert (upload["started_by"], upload["ended_by"]) == ("submitter", "submitter")


def test_missing_garbage_and_expired_tokens_are_one_line_each(ucs, tmp_path):
    source = make_file(tmp_path / "x.bin", MiB, seed=22)
    register(ucs.url, "tokens-refused", source)
    expired = default_issuer().token(
        "upload:tokens-refused", iat=int(time.time()) - 600, exp=int(time.time()) - 60
    )
    args = upload_args(ucs.url, "tokens-refused", source)

    assert_refused(run_client(*args, env=as_bearer_of(None)), "UCS needs a token", "UCS_TOKEN")
    assert_refused(
        run_client(*args, env=as_bearer_of("garbage")), "not a well-formed JWT", secrets=("garbage",)
    )
    assert_refused(run_client(*args, env=as_bearer_of(expired)), "the token expired at", secrets=(expired,))
    assert uploads_of(ucs.url, "tokens-refused") == []


def test_a_token_file_rotated_during_an_upload_is_read_again(ucs, slow_store, tmp_path):
    source = make_file(tmp_path / "long.bin", 8 * MiB, seed=23)
    register(ucs.url, "tokens-rotated", source)
    token_file = tmp_path / "token"
    first = token("upload:tokens-rotated", subject="first-token", ttl=2)
    token_file.write_text(first + "\n")
    log = tmp_path / "client.log"
    with open(log, "wb") as output:
        client = subprocess.Popen(
            [CLIENT, *upload_args(ucs.url, "tokens-rotated", source, "--token-file", str(token_file))],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=as_bearer_of(None),
        )
    # The refresher writes the next token once the first has expired, as a sidecar would (atomically).
    wait_until(lambda: pending_upload(ucs.url, "tokens-rotated"), what="the upload to start")
    time.sleep(2.5)
    second = token("upload:tokens-rotated", subject="second-token")
    (tmp_path / "token.new").write_text(second)
    os.replace(tmp_path / "token.new", token_file)

    assert client.wait(120) == 0, log.read_text()
    output = log.read_text()
    assert first not in output and second not in output
    [upload] = uploads_of(ucs.url, "tokens-rotated")
    # Started with the first token, completed with the second: the client read the file again.
    assert (upload["status"], upload["started_by"], upload["ended_by"]) == (
        "uploaded",
        "first-token",
        "second-token",
    )


def test_a_token_that_expires_mid_upload_leaves_it_resumable(ucs, slow_store, tmp_path):
    source = make_file(tmp_path / "resumable.bin", 8 * MiB, seed=24)
    register(ucs.url, "tokens-resumable", source)
    short = token("upload:tokens-resumable", ttl=2)

    stopped = run_client(*upload_args(ucs.url, "tokens-resumable", source), env=as_bearer_of(short))
    assert_refused(stopped, "the token expired at", "left pending", "resume with", secrets=(short,))
    [pending] = uploads_of(ucs.url, "tokens-resumable")
    assert pending["status"] == "pending"

    slow_store.part_rate_limit = None
    resumed = run_client(
        *upload_args(ucs.url, "tokens-resumable", source), env=as_bearer_of(token("upload:tokens-resumable"))
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed upload" in resumed.stdout
    [done] = uploads_of(ucs.url, "tokens-resumable")
    assert (done["upload_id"], done["status"]) == (pending["upload_id"], "uploaded")

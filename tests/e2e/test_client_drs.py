"""`upload-client download drs://<host>/<id>` against real UCS processes: the object's self_uri resolved,
downloaded in parallel ranges, verified with its SHA-256, resumed after a kill, fresh URLs after expiry.

Tests run UCS over plain http on 127.0.0.1, so each command gives --api-url with the URI (docs/drs.md).
Store URLs go through the fault proxy; the DRS calls reach UCS directly.
"""

from __future__ import annotations

import signal

import pytest

from tests.support.client_runs import (
    MiB,
    client_env,
    make_file,
    ranges_done,
    register,
    run_client,
    sha256_of,
    start_client,
    ucs_call,
    wait_until,
)
from tests.support.s3_fixtures import seaweedfs  # noqa: F401 - fixture
from tests.support.tokens import default_issuer
from tests.support.ucs_server import ucs_server

pytestmark = pytest.mark.slow
DRS = "/ga4gh/drs/v1"


@pytest.fixture(scope="module")
def ucs(tmp_path_factory, proxy):
    with ucs_server(tmp_path_factory.mktemp("ucs"), PART_SIZE=MiB, FILESYSTEM_PUBLIC_URL=proxy.url) as server:
        proxy.forward_to(int(server.url.rsplit(":", 1)[1]))
        yield server


@pytest.fixture
def store(proxy):
    proxy.reset()
    yield proxy
    proxy.reset()


def uploaded(api: str, file_id: str, tmp_path, size: int, seed: int = 0):
    """A file uploaded with the client; returns it and the self_uri of its DRS object."""
    source = make_file(tmp_path / f"{file_id}.bin", size, seed=seed)
    register(api, file_id, source)
    result = run_client("upload", "--file-id", file_id, "--api-url", api, "--file-path", str(source))
    assert result.returncode == 0, result.stderr
    return source, ucs_call("GET", api, f"{DRS}/objects/{file_id}").json()["self_uri"]


def drs_download(uri: str, api: str, target, *more: str) -> list[str]:
    return ["download", uri, "--api-url", api, "--output", str(target), "--range-size", "1", *more]


def test_a_drs_uri_downloads_the_uploaded_bytes_verified(ucs, store, tmp_path):
    source, uri = uploaded(ucs.url, "drs-journey", tmp_path, 5 * MiB + 777, seed=1)
    assert uri == f"drs://{ucs.url.removeprefix('http://')}/drs-journey"
    back = tmp_path / "back.bin"

    result = run_client(*drs_download(uri, ucs.url, back, "--parallel", "4"))

    assert result.returncode == 0, result.stderr
    assert f"downloaded drs-journey to {back}:" in result.stdout
    assert f"sha256 {sha256_of(source)}" in result.stdout
    assert back.read_bytes() == source.read_bytes()
    assert store.stats.answers["GET", 206] == 6  # six 1 MiB ranges, straight from the store


def test_the_token_options_apply_and_a_token_for_another_file_is_refused(ucs, store, tmp_path):
    source, uri = uploaded(ucs.url, "drs-mine", tmp_path, 1000, seed=2)
    token_file = tmp_path / "token"
    token_file.write_text(default_issuer().token("download:drs-mine"))
    env = {k: v for k, v in client_env().items() if k != "UCS_TOKEN"}
    ok = run_client(
        *drs_download(uri, ucs.url, tmp_path / "ok.bin", "--token-file", str(token_file)), env=env
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "ok.bin").read_bytes() == source.read_bytes()

    for scope in ("download:other", "upload:drs-mine"):
        token = default_issuer().token(scope)
        refused = run_client(
            *drs_download(uri, ucs.url, tmp_path / "no.bin"), env={**env, "UCS_TOKEN": token}
        )
        assert refused.returncode == 6, refused.stderr
        assert "it needs the scope download:drs-mine (or download:*)" in refused.stderr
        assert token not in refused.stderr + refused.stdout
    none = run_client(*drs_download(uri, ucs.url, tmp_path / "no.bin"), env=env)
    assert none.returncode == 6 and "the DRS server needs a token" in none.stderr
    assert not list(tmp_path.glob("no.bin*"))


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("unknown", "no DRS object 'drs-{state}': no file with this id is registered"),
        ("pending", "DRS object 'drs-{state}' is not available: it is still being uploaded"),
    ],
)
def test_no_object_yet_is_one_line_saying_why(ucs, tmp_path, state, words):
    file_id = f"drs-{state}"
    if state == "pending":
        register(ucs.url, file_id, size=10)
        assert ucs_call("POST", ucs.url, f"/files/{file_id}/multipart_uploads").status_code == 201
    host = ucs.url.removeprefix("http://")
    result = run_client(*drs_download(f"drs://{host}/{file_id}", ucs.url, tmp_path / "x.bin"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"upload-client: error: {words.format(state=state)} (at {ucs.url}{DRS})"
    ]
    assert not list(tmp_path.glob("x.bin*"))


def test_without_api_url_the_uri_goes_to_https_on_its_host_and_plain_http_says_what_to_pass(ucs, tmp_path):
    host = ucs.url.removeprefix("http://")
    result = run_client("download", f"drs://{host}/F", "--output", str(tmp_path / "x.bin"))
    assert result.returncode == 4
    assert result.stderr == (
        f"upload-client: error: the server at {host} speaks plain http, not https (it answered the TLS "
        f"handshake in plain text): pass --api-url http://{host}\n"
    )


def test_a_killed_drs_download_resumes_from_its_part_file(ucs, store, tmp_path):
    source, uri = uploaded(ucs.url, "drs-resume", tmp_path, 8 * MiB + 5, seed=3)
    target = tmp_path / "copy.bin"
    journal = tmp_path / "copy.bin.part.json"
    store.download_rate_limit = 1 * MiB

    first = start_client(*drs_download(uri, ucs.url, target), log=tmp_path / "first.log")
    wait_until(lambda: ranges_done(journal) >= 3, what="3 ranges")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    store.download_rate_limit = None

    second = run_client(*drs_download(uri, ucs.url, target))

    assert second.returncode == 0, second.stderr
    assert "resuming: " in second.stdout and " of 9 ranges already in " in second.stdout
    assert target.read_bytes() == source.read_bytes() and not journal.exists()


def test_an_expired_url_is_replaced_through_the_access_id(tmp_path, store):
    # URLs that live 2 s; the proxy holds the first ranged GET for 4 s, so it reaches the store expired.
    with ucs_server(
        tmp_path / "ucs", PART_SIZE=MiB, FILESYSTEM_PUBLIC_URL=store.url, PRESIGNED_URL_EXPIRY=2
    ) as ucs:
        store.forward_to(int(ucs.url.rsplit(":", 1)[1]))
        source, uri = uploaded(ucs.url, "drs-late", tmp_path, 2 * MiB, seed=4)
        store.delays = {"PUT": [], "GET": [4.0]}
        back = tmp_path / "back.bin"
        result = run_client(*drs_download(uri, ucs.url, back))

    assert result.returncode == 0, result.stderr
    assert store.stats.answers["GET", 403] == 1 and "retries: 1" in result.stdout
    assert back.read_bytes() == source.read_bytes()


@pytest.mark.seaweedfs
def test_a_drs_uri_downloads_from_seaweedfs(seaweedfs, tmp_path):  # noqa: F811 - fixture
    settings = {**seaweedfs.bucket_settings(), "PART_SIZE": 5 * MiB}
    with ucs_server(tmp_path / "ucs", **settings) as ucs:
        source, uri = uploaded(ucs.url, "drs-seaweedfs", tmp_path, 10 * MiB + 3, seed=5)
        back = tmp_path / "back.bin"
        result = run_client(*drs_download(uri, ucs.url, back)[:-2], "--range-size", "5")

    assert result.returncode == 0, result.stderr
    assert back.read_bytes() == source.read_bytes()

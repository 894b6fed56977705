"""upload-client against a real UCS process on the embedded filesystem store: the journey and bad input."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading

import pytest

from tests.support.client_runs import (
    CLIENT,
    MiB,
    client_env,
    make_file,
    register,
    run_client,
    sha256_of,
    ucs_call,
    upload_args,
    uploads_of,
)
from tests.support.metrics import scrape, total
from tests.support.processes import free_port
from tests.support.rest import Rest
from tests.support.ucs_server import ucs_server

PART_SIZE = MiB


@pytest.fixture(scope="module")
def ucs(tmp_path_factory):
    with ucs_server(tmp_path_factory.mktemp("ucs"), PART_SIZE=PART_SIZE) as server:
        yield server


@pytest.fixture
def api(ucs):
    return ucs.url


@pytest.fixture
def not_ucs_url():
    """An HTTP server that is not UCS (Python's file server): it answers HTML 404s."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def assert_one_line_error(result, code: int, *words: str) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


def test_upload_then_download_gives_identical_bytes(api, tmp_path):
    source = make_file(tmp_path / "reads.bam", 5 * MiB + 12345)
    register(api, "journey-1", source)

    uploaded = run_client(*upload_args(api, "journey-1", source))
    assert uploaded.returncode == 0, uploaded.stderr
    assert f"sha256 {sha256_of(source)}" in uploaded.stdout
    assert "retries: 0" in uploaded.stdout
    [upload] = uploads_of(api, "journey-1")
    assert upload["status"] == "uploaded"
    assert upload["sha256"] == sha256_of(source)

    again = run_client(*upload_args(api, "journey-1", source))
    assert again.returncode == 0, again.stderr
    assert "was already uploaded from this file" in again.stdout
    assert len(uploads_of(api, "journey-1")) == 1
    other = make_file(tmp_path / "other.bam", source.stat().st_size, seed=99)
    refused = run_client(*upload_args(api, "journey-1", other))
    assert_one_line_error(refused, 1, "already has an upload that is uploaded", "is not what was uploaded")

    target = tmp_path / "back.bam"
    downloaded = run_client("download", "--file-id", "journey-1", "--api-url", api, "--output", str(target))
    assert downloaded.returncode == 0, downloaded.stderr
    assert target.read_bytes() == source.read_bytes()
    assert not (tmp_path / "back.bam.part").exists()
    assert not (tmp_path / "back.bam.part.json").exists()


def test_an_empty_file_uploads_as_one_empty_part_and_downloads_back(api, tmp_path):
    """Genomics datasets have empty files: the client sends one empty part, as S3 allows."""
    source = tmp_path / "empty.vcf"
    source.write_bytes(b"")
    register(api, "journey-empty", source)

    uploaded = run_client(*upload_args(api, "journey-empty", source))
    assert uploaded.returncode == 0, uploaded.stderr
    [upload] = uploads_of(api, "journey-empty")
    assert (upload["status"], upload["size"]) == ("uploaded", 0)

    target = tmp_path / "back.vcf"
    downloaded = run_client(
        "download", "--file-id", "journey-empty", "--api-url", api, "--output", str(target)
    )
    assert downloaded.returncode == 0, downloaded.stderr
    assert f"sha256 {sha256_of(source)}" in downloaded.stdout
    assert target.read_bytes() == b""
    assert not (tmp_path / "back.vcf.part").exists()


def test_api_url_comes_from_the_environment_and_quiet_prints_nothing(api, tmp_path):
    source = make_file(tmp_path / "env.bin", 2 * MiB + 1, seed=2)
    register(api, "journey-env", source)
    result = run_client(
        "upload",
        "--file-id",
        "journey-env",
        "--file-path",
        str(source),
        "--quiet",
        "--parallel",
        "2",
        env=client_env(UCS_API_URL=api),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert uploads_of(api, "journey-env")[0]["status"] == "uploaded"


def test_status_lists_uploads_and_cancel_cancels_the_pending_one(api, tmp_path):
    register(api, "journey-status", size=3 * MiB)
    started = ucs_call("POST", api, "/files/journey-status/multipart_uploads", json={"size": 3 * MiB})
    upload_id = started.json()["upload_id"]

    status = run_client("status", "--file-id", "journey-status", "--api-url", api)
    assert status.returncode == 0, status.stderr
    assert f"upload {upload_id}: pending" in status.stdout
    assert "0 parts stored" in status.stdout

    canceled = run_client("cancel", "--file-id", "journey-status", "--api-url", api)
    assert canceled.returncode == 0, canceled.stderr
    assert [u["status"] for u in uploads_of(api, "journey-status")] == ["canceled"]

    again = run_client("cancel", "--file-id", "journey-status", "--api-url", api)
    assert_one_line_error(again, 1, "no pending upload")


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("missing file", ["no such file"]),
        ("directory", ["is a directory"]),
        ("unreadable file", ["cannot read", "ermission denied"]),
        ("unknown file id", ["not registered"]),
        ("invalid file id", ["invalid file_id"]),
        ("size differs from registration", ["registered with"]),
    ],
)
def test_bad_upload_input_is_one_line_and_changes_nothing(api, tmp_path, case, words):
    file_id = "bad-" + case.replace(" ", "-")
    path = make_file(tmp_path / "data.bin", 2 * MiB, seed=3)
    register(api, file_id, size=2 * MiB)
    if case == "missing file":
        path = tmp_path / "absent.bin"
    elif case == "directory":
        path = tmp_path
    elif case == "unreadable file":
        path.chmod(0)
        try:
            open(path, "rb").close()
            pytest.skip("running as root: permissions do not stop reading")
        except PermissionError:
            pass
    elif case == "unknown file id":
        file_id = "never-registered"
    elif case == "invalid file id":
        file_id = ".hidden"
    elif case == "size differs from registration":
        register(api, file_id, size=2 * MiB + 1)

    result = run_client(*upload_args(api, file_id, path))

    assert_one_line_error(result, 1, *words)
    if case not in ("unknown file id", "invalid file id"):
        assert uploads_of(api, file_id) == []


def test_unreachable_ucs_and_a_url_that_is_not_ucs(tmp_path, not_ucs_url):
    path = make_file(tmp_path / "data.bin", MiB)
    unreachable = run_client(*upload_args(f"http://127.0.0.1:{free_port()}", "x", path))
    assert_one_line_error(unreachable, 4, "cannot reach UCS", "Connection refused")

    wrong = run_client(*upload_args(not_ucs_url, "x", path))
    assert_one_line_error(wrong, 4, "does not answer like UCS", "text/html")

    not_http = run_client(*upload_args("ftp://example", "x", path))
    assert_one_line_error(not_http, 1, "not an http")


@pytest.mark.parametrize("suffix", ["/api", "/api/", "?x=1", "#frag"])
@pytest.mark.parametrize("command", ["upload", "download", "status", "cancel"])
def test_an_api_url_with_more_than_the_base_is_not_ucs(api, tmp_path, suffix, command):
    """Not 'file is not registered' (exit 1): UCS answers 404 for a route it lacks, too."""
    path = make_file(tmp_path / "data.bin", MiB, seed=4)
    register(api, "journey-url", path)
    options = {"upload": ["--file-path", str(path)], "download": ["--output", str(tmp_path / "out")]}
    result = run_client(
        command, "--file-id", "journey-url", "--api-url", api + suffix, *options.get(command, [])
    )
    assert_one_line_error(result, 4, f"{(api + suffix).rstrip('/')} does not point at UCS")
    assert uploads_of(api, "journey-url") == []


def test_a_changed_local_file_is_explained_with_the_cancel_command(api, tmp_path):
    register(api, "journey-resized")  # no size registered: only the pending upload knows it
    ucs_call("POST", api, "/files/journey-resized/multipart_uploads", json={"size": 4 * MiB})
    path = make_file(tmp_path / "grown.bin", 4 * MiB + 1)

    result = run_client(*upload_args(api, "journey-resized", path))

    line = assert_one_line_error(result, 1, "started for 4194304 bytes")
    assert f"upload-client cancel --file-id journey-resized --api-url {api}" in line
    assert [u["status"] for u in uploads_of(api, "journey-resized")] == ["pending"]


def test_bad_download_input(api, tmp_path):
    register(api, "journey-not-uploaded", size=MiB)
    existing = tmp_path / "exists.bin"
    existing.write_bytes(b"keep me")

    def download(file_id, output):
        return run_client("download", "--file-id", file_id, "--api-url", api, "--output", str(output))

    assert_one_line_error(download("journey-not-uploaded", tmp_path / "a"), 1, "no completed upload")
    assert_one_line_error(download("never-registered", tmp_path / "b"), 1, "not registered")
    assert_one_line_error(download("journey-not-uploaded", existing), 1, "already exists")
    assert_one_line_error(download("journey-not-uploaded", tmp_path), 1, "is a directory")
    assert_one_line_error(download("journey-not-uploaded", tmp_path / "no" / "x"), 1, "no does not exist")
    assert_one_line_error(
        download("journey-not-uploaded", existing / "x"), 1, "exists.bin is not a directory"
    )
    assert existing.read_bytes() == b"keep me"
    assert not (tmp_path / "a.part").exists()


def test_a_file_whose_sha256_differs_from_its_registration_fails_verification(api, tmp_path):
    source = make_file(tmp_path / "wrong.bin", 2 * MiB, seed=11)
    register(api, "journey-wrong-sha", size=2 * MiB, sha256="0" * 64)

    result = run_client(*upload_args(api, "journey-wrong-sha", source))

    assert_one_line_error(result, 5, f"has SHA-256 {sha256_of(source)}", "registered with " + "0" * 64)
    [upload] = uploads_of(api, "journey-wrong-sha")
    assert upload["status"] == "failed"
    assert "differs from the registered sha256" in upload["reason"]


def test_a_reader_that_goes_away_ends_the_command_quietly(api):
    """`upload-client status | head`: output into a closed pipe is no error worth a line."""
    register(api, "journey-piped")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the client writes a byte
    try:
        result = subprocess.run(
            [str(CLIENT), "status", "--file-id", "journey-piped", "--api-url", api],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=client_env(),
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""


def test_part_urls_are_asked_for_in_batches_not_one_request_per_part(ucs, tmp_path):
    source = make_file(tmp_path / "many.bin", 70 * PART_SIZE + 1, seed=31)  # 71 parts
    register(ucs.url, "journey-batched", source)
    before = scrape(ucs.url)
    uploaded = run_client(*upload_args(ucs.url, "journey-batched", source))
    assert uploaded.returncode == 0, uploaded.stderr
    after = scrape(ucs.url)

    def requests_to(route: str) -> float:
        name = "ucs_http_requests_total"
        return total(after, name, method="POST", route=route) - total(
            before, name, method="POST", route=route
        )

    batches = requests_to("/multipart_uploads/<path:upload_id>/parts/presigned_posts")
    singles = requests_to("/multipart_uploads/<path:upload_id>/part/<part_no>/presigned_post")
    # 4 workers: a window of 32 parts per request, so 71 parts take 3 requests and none go one by one.
    assert (batches, singles) == (3, 0), (batches, singles)


def test_a_store_that_lost_the_uploads_is_reported_as_such_with_what_to_do(tmp_path):
    """UCS restarted on another UCS_FILESYSTEM_ROOT: its pending upload and its object are gone from the store."""
    source = make_file(tmp_path / "data.bin", 3 * MiB, seed=20)
    with ucs_server(tmp_path / "ucs", PART_SIZE=PART_SIZE, FILESYSTEM_ROOT=str(tmp_path / "first")) as ucs:
        register(ucs.url, "lost-object", source)
        assert run_client(*upload_args(ucs.url, "lost-object", source)).returncode == 0
        register(ucs.url, "lost-upload", source)
        upload_id = Rest(ucs.url).start("lost-upload")["upload_id"]

    with ucs_server(tmp_path / "ucs", PART_SIZE=PART_SIZE, FILESYSTEM_ROOT=str(tmp_path / "other")) as ucs:
        status = run_client("status", "--file-id", "lost-upload", "--api-url", ucs.url)
        upload = run_client(*upload_args(ucs.url, "lost-upload", source))
        again = run_client(*upload_args(ucs.url, "lost-upload", source))
        target = tmp_path / "back.bin"
        download = run_client(
            "download", "--file-id", "lost-object", "--api-url", ucs.url, "--output", str(target)
        )

    assert status.returncode == 0, status.stderr
    assert f"upload {upload_id}: pending" in status.stdout
    assert "the object store no longer holds this upload" in status.stdout
    # The client tries to complete it from the local file (the store may have joined it already): UCS
    # finds no object either, so the upload ends and the same command starts a new one.
    line = assert_one_line_error(upload, 1, "the store no longer holds this multipart upload")
    assert "the upload has ended, and running the same command starts a new one: upload-client upload" in line
    assert again.returncode == 0, again.stderr
    line = assert_one_line_error(download, 1, "the store holds no object for file 'lost-object'")
    assert "resume" not in line
    assert list(tmp_path.glob("back.bin*")) == []  # no object-sized .part left for a resume that cannot be

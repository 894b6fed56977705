"""upload-client and UCS's builtin validation, end to end on the filesystem store: `upload --wait` for the
verdict, a download that waits for it, `status` saying it.

`ucs run` validates in a thread of its own, so its verdicts come by themselves. For the verdicts a test
must step between, UCS runs as `ucs serve`, which does not validate: an upload stays `uploaded` until the
test runs `ucs validate --once` on the same instance, after changing a byte of the stored object or not.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.client_runs import (
    MiB,
    client_env,
    make_file,
    register,
    run_client,
    sha256_of,
    start_client,
    ucs_call,
    upload_args,
    wait_until,
)
from tests.support.processes import VENV_BIN
from tests.support.tokens import auth_environment
from tests.support.ucs_server import UcsServer, ucs_server

# The builtin validator, and a short Retry-After so the waiting downloads ask again soon.
SETTINGS = {"VALIDATION": "builtin", "VALIDATION_RETRY_AFTER": "1", "PART_SIZE": str(MiB)}


@pytest.fixture(scope="module")
def validating_ucs(tmp_path_factory):
    """`ucs run`: judges every upload in its background thread."""
    with ucs_server(tmp_path_factory.mktemp("ucs-run"), **SETTINGS) as server:
        yield server


@pytest.fixture(scope="module")
def held_ucs(tmp_path_factory):
    """`ucs serve`: builtin validation (accepted files only are served) but no validator running."""
    with ucs_server(tmp_path_factory.mktemp("ucs-serve"), serve_workers=1, **SETTINGS) as server:
        yield server


def validate_once(ucs: UcsServer) -> str:
    """`ucs validate --once` on the server's instance: judges every upload waiting; returns its output."""
    env = {
        **os.environ,
        **auth_environment(),
        "UCS_INSTANCE_PATH": str(ucs.instance_path),
        "UCS_LOAD_ENTRY_POINTS": "false",
        **{f"UCS_{key}": value for key, value in SETTINGS.items()},
    }
    done = subprocess.run(
        [str(VENV_BIN / "ucs"), "validate", "--once"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def the_upload(api: str, file_id: str) -> dict:
    [upload] = ucs_call("GET", api, f"/files/{file_id}/multipart_uploads").json()
    return upload


def uploaded(ucs: UcsServer, file_id: str, source: Path) -> dict:
    """Register and upload source without waiting; UCS holds it, awaiting its verdict."""
    register(ucs.url, file_id, source)
    done = run_client(*upload_args(ucs.url, file_id, source))
    assert done.returncode == 0, done.stderr
    upload = the_upload(ucs.url, file_id)
    assert upload["status"] == "uploaded"
    return upload


def stored_object(ucs: UcsServer, source: Path) -> Path:
    """The file under the store's objects/ directory that holds source's bytes."""
    data = source.read_bytes()
    objects = (ucs.instance_path / "storage" / "objects").rglob("*")
    [found] = [p for p in objects if p.is_file() and p.stat().st_size == len(data) and p.read_bytes() == data]
    return found


def said(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text()


# `ucs run`: the verdict comes by itself.


def test_upload_wait_exits_0_once_accepted_and_status_says_so(validating_ucs, tmp_path):
    api = validating_ucs.url
    source = make_file(tmp_path / "reads.bam", 3 * MiB + 17)
    register(api, "verdict-ok", source)

    done = run_client(*upload_args(api, "verdict-ok", source, "--wait"))

    assert done.returncode == 0, done.stderr
    upload = the_upload(api, "verdict-ok")
    assert upload["status"] == "accepted"
    assert f"accepted: UCS validated upload {upload['upload_id']} of file verdict-ok" in done.stdout
    status = run_client("status", "--file-id", "verdict-ok", "--api-url", api)
    assert f"upload {upload['upload_id']}: accepted" in status.stdout
    assert f"accepted at {upload['validated_at']} by {upload['validated_by']}" in status.stdout


def test_an_upload_then_its_download_at_once_gives_the_bytes(validating_ucs, tmp_path):
    api = validating_ucs.url
    source = make_file(tmp_path / "reads.bam", 2 * MiB + 5, seed=1)
    register(api, "verdict-then-download", source)
    assert run_client(*upload_args(api, "verdict-then-download", source)).returncode == 0

    out = tmp_path / "out.bam"
    done = run_client(
        "download", "--file-id", "verdict-then-download", "--api-url", api, "--output", str(out)
    )

    assert done.returncode == 0, done.stderr
    assert sha256_of(out) == sha256_of(source)
    assert the_upload(api, "verdict-then-download")["status"] == "accepted"


# `ucs serve`: the test says when the verdict comes.


def test_a_download_waits_for_the_verdict_then_downloads(held_ucs, tmp_path):
    source = make_file(tmp_path / "reads.bam", 2 * MiB, seed=2)
    uploaded(held_ucs, "held-ok", source)
    out, log = tmp_path / "out.bam", tmp_path / "download.log"
    download = start_client(
        "download", "--file-id", "held-ok", "--api-url", held_ucs.url, "--output", str(out), log=log
    )
    wait_until(lambda: said(log, "file held-ok is being validated; waiting up to 3600 s"), what="the wait")
    assert download.poll() is None and not out.exists()

    validate_once(held_ucs)

    assert download.wait(60) == 0, log.read_text()
    assert sha256_of(out) == sha256_of(source)


def test_a_drs_download_waits_for_the_verdict_too(held_ucs, tmp_path):
    source = make_file(tmp_path / "reads.bam", MiB + 3, seed=3)
    uploaded(held_ucs, "held-drs", source)
    out, log = tmp_path / "out.bam", tmp_path / "download.log"
    download = start_client(
        "download", "drs://localhost/held-drs", "--api-url", held_ucs.url, "--output", str(out), log=log
    )
    wait_until(lambda: said(log, "file held-drs is being validated; waiting up to"), what="the wait")

    validate_once(held_ucs)

    assert download.wait(60) == 0, log.read_text()
    assert sha256_of(out) == sha256_of(source)


def test_a_download_still_pending_at_its_timeout_exits_9(held_ucs, tmp_path):
    source = make_file(tmp_path / "reads.bam", MiB, seed=4)
    uploaded(held_ucs, "held-timeout", source)
    out = tmp_path / "out.bam"

    done = run_client(
        "download",
        "--file-id",
        "held-timeout",
        "--api-url",
        held_ucs.url,
        "--output",
        str(out),
        env=client_env(UCS_WAIT_TIMEOUT="0"),
    )

    assert done.returncode == 9, done.stderr
    assert "file held-timeout is still being validated after 0 s of waiting (--wait-timeout 0)" in done.stderr
    assert not out.exists() and not Path(f"{out}.part").exists()
    validate_once(held_ucs)  # leaves nothing waiting for the next test


def test_a_corrupted_object_is_rejected_and_upload_wait_exits_8_with_the_reason(held_ucs, tmp_path):
    api = held_ucs.url
    source = make_file(tmp_path / "reads.bam", 2 * MiB + 100, seed=5)
    register(api, "held-bad", source)
    upload_log, download_log = tmp_path / "upload.log", tmp_path / "download.log"
    waiting = start_client(*upload_args(api, "held-bad", source, "--wait"), log=upload_log)
    wait_until(lambda: said(upload_log, "waiting up to 3600 s for the verdict"), what="the upload's wait")
    out = tmp_path / "out.bam"
    download = start_client(
        "download", "--file-id", "held-bad", "--api-url", api, "--output", str(out), log=download_log
    )
    wait_until(lambda: said(download_log, "file held-bad is being validated"), what="the download's wait")

    stored = stored_object(held_ucs, source)
    data = bytearray(stored.read_bytes())
    data[MiB] ^= 0xFF  # one byte of the stored object changes between completion and verdict
    stored.write_bytes(bytes(data))
    validate_once(held_ucs)

    assert waiting.wait(60) == 8, upload_log.read_text()
    upload = the_upload(api, "held-bad")
    assert upload["status"] == "rejected"
    error = upload_log.read_text().strip().splitlines()[-1]
    assert (
        error
        == f"upload-client: error: UCS rejected upload {upload['upload_id']} of file held-bad: {upload['reason']}"
    )
    assert sha256_of(source) in error and "got" in error  # the expected and actual SHA-256
    assert download.wait(60) == 8, download_log.read_text()
    assert "rejected by validation" in download_log.read_text()
    assert not out.exists()
    status = run_client("status", "--file-id", "held-bad", "--api-url", api)
    assert f"rejected at {upload['validated_at']}" in status.stdout and upload["reason"] in status.stdout

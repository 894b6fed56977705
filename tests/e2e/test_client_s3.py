"""upload-client against UCS's s3 backend on real S3 servers: moto's (through the fault proxy) and SeaweedFS."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

import pytest

from scripts.local_runs import sha256_of
from tests.support.client_runs import (
    MiB,
    make_file,
    register,
    run_client,
    show,
    stored_parts,
    ucs_call,
    upload_underway,
)
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.s3_fixtures import moto, seaweedfs  # noqa: F401 - fixtures
from tests.support.s3_servers import S3Server
from tests.support.ucs_server import UcsServer, ucs_server

PART_SIZE = 5 * MiB  # S3's smallest part

pytestmark = pytest.mark.slow


def round_trip(api: str, file_id: str, tmp_path, size: int = 2 * PART_SIZE + 4099) -> tuple:
    source = make_file(tmp_path / f"{file_id}.bin", size, seed=len(file_id))
    register(api, file_id, source)
    uploaded = run_client("upload", "--file-id", file_id, "--api-url", api, "--file-path", str(source))
    back = tmp_path / f"{file_id}.back"
    downloaded = run_client(
        "download", "--file-id", file_id, "--api-url", api, "--output", str(back), "--range-size", "5"
    )
    return source, back, uploaded, downloaded


def test_moto_through_the_fault_proxy(capsys, moto, tmp_path):  # noqa: F811 - fixture
    port = int(moto.endpoint_url.rsplit(":", 1)[1])
    with fault_proxy(port, fault_rate=0.3, seed=1) as proxy:
        settings = {**moto.bucket_settings(), "S3_ENDPOINT_URL": proxy.url, "PART_SIZE": PART_SIZE}
        with ucs_server(tmp_path / "ucs", **settings) as ucs:
            source, back, uploaded, downloaded = round_trip(ucs.url, "s3-moto", tmp_path)

    assert uploaded.returncode == 0, uploaded.stderr
    faults = sum(proxy.stats.faults.values())
    show(
        capsys, f"\nmoto fault proxy: {proxy.stats.part_uploads} part PUTs, faults {dict(proxy.stats.faults)}"
    )
    assert faults >= 1
    assert f"retries: {faults}" in uploaded.stdout
    assert downloaded.returncode == 0, downloaded.stderr
    assert back.read_bytes() == source.read_bytes()


@pytest.mark.seaweedfs
def test_seaweedfs_checks_signatures_and_round_trips(seaweedfs, tmp_path):  # noqa: F811 - fixture
    settings = {**seaweedfs.bucket_settings(), "PART_SIZE": PART_SIZE}
    with ucs_server(tmp_path / "ucs", **settings) as ucs:
        source, back, uploaded, downloaded = round_trip(ucs.url, "s3-seaweedfs", tmp_path)
        empty = round_trip(ucs.url, "s3-seaweedfs-empty", tmp_path, size=0)

    assert uploaded.returncode == 0, uploaded.stderr
    assert downloaded.returncode == 0, downloaded.stderr
    assert back.read_bytes() == source.read_bytes()
    _, back, uploaded, downloaded = empty
    assert uploaded.returncode == 0, uploaded.stderr
    assert downloaded.returncode == 0, downloaded.stderr
    assert back.read_bytes() == b""


def test_moto_resume_after_ctrl_c_reuses_the_stored_parts(capsys, moto, tmp_path):  # noqa: F811 - fixture
    with throttled_moto_ucs(moto, tmp_path) as (proxy, ucs, _):
        source = make_file(tmp_path / "s3-resume.bin", 4 * PART_SIZE + 1, seed=21)
        args, upload, code = stopped_upload(ucs, "s3-resume", source, tmp_path, signal.SIGINT)
        assert code == 130
        stored_before = len(stored_parts(ucs.url, upload["upload_id"]))
        proxy.part_rate_limit = None
        second = run_client(*args)
        back = tmp_path / "back.bin"
        downloaded = run_client(
            "download", "--file-id", "s3-resume", "--api-url", ucs.url, "--output", str(back)
        )

    assert second.returncode == 0, second.stderr
    show(
        capsys,
        f"\nmoto resume: {stored_before} of 5 parts stored after Ctrl-C; {resumed_line(second.stdout)}",
    )
    assert f"resuming: {stored_before} of 5 parts already stored" in second.stdout
    assert downloaded.returncode == 0, downloaded.stderr
    assert back.read_bytes() == source.read_bytes()


@contextlib.contextmanager
def throttled_moto_ucs(server: S3Server, tmp_path) -> Iterator[tuple[FaultProxy, UcsServer, str]]:
    """UCS on a fresh moto bucket (yielded with the proxy and the bucket's name), its part uploads
    throttled through the proxy so that a test can stop a client half way."""
    port = int(server.endpoint_url.rsplit(":", 1)[1])
    with fault_proxy(port, part_rate_limit=4 * MiB) as proxy:
        settings = {**server.bucket_settings(), "S3_ENDPOINT_URL": proxy.url, "PART_SIZE": PART_SIZE}
        with ucs_server(tmp_path / "ucs", **settings) as ucs:
            yield proxy, ucs, settings["S3_BUCKET"]


def stopped_upload(
    ucs: UcsServer, file_id: str, source, tmp_path, signum: int
) -> tuple[list[str], dict, int]:
    """Register source, start its upload and stop it with signum once a part is stored: the command's
    arguments, the pending upload and the client's exit code."""
    register(ucs.url, file_id, source)
    args = ["upload", "--file-id", file_id, "--api-url", ucs.url, "--file-path", str(source)]
    first, upload = upload_underway([*args, "--parallel", "2"], tmp_path / "first.log")
    first.send_signal(signum)
    return args, upload, first.wait(30)


def resumed_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("resumed upload"))


def test_an_upload_the_store_joined_but_ucs_never_recorded_is_completed_by_the_rerun(moto, tmp_path):  # noqa: F811 - fixture
    """The store finished a completion whose worker died before UCS recorded it (issue 18, C1): the rerun
    finds no unfinished upload in the store and completes with the ETags of the local file's parts."""
    with throttled_moto_ucs(moto, tmp_path) as (proxy, ucs, bucket):
        source = make_file(tmp_path / "s3-joined.bin", 3 * PART_SIZE + 7, seed=31)
        args, upload, _ = stopped_upload(ucs, "s3-joined", source, tmp_path, signal.SIGKILL)
        proxy.part_rate_limit = None
        join_in_the_store(moto.client(), bucket, upload["upload_id"], source)

        second = run_client(*args)
        [recorded] = ucs_call("GET", ucs.url, "/files/s3-joined/multipart_uploads").json()
        back = tmp_path / "back.bin"
        downloaded = run_client(
            "download", "--file-id", "s3-joined", "--api-url", ucs.url, "--output", str(back)
        )

    assert second.returncode == 0, second.stderr
    assert f"the store holds no unfinished upload {upload['upload_id']} any more" in second.stdout
    assert (recorded["status"], recorded["sha256"]) == ("uploaded", sha256_of(source))
    assert downloaded.returncode == 0, downloaded.stderr
    assert back.read_bytes() == source.read_bytes()


def join_in_the_store(s3, bucket: str, upload_id: str, source) -> None:
    """What a completion does in the store: send every part and join them, without UCS knowing."""
    [unfinished] = [
        u for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"] if u["UploadId"] == upload_id
    ]
    data = source.read_bytes()
    parts = []
    for number, offset in enumerate(range(0, len(data), PART_SIZE), start=1):
        body = data[offset : offset + PART_SIZE]
        sent = s3.upload_part(
            Bucket=bucket, Key=unfinished["Key"], UploadId=upload_id, PartNumber=number, Body=body
        )
        parts.append({"PartNumber": number, "ETag": sent["ETag"]})
    s3.complete_multipart_upload(
        Bucket=bucket, Key=unfinished["Key"], UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

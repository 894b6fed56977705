"""upload-client through a faulty network: resets and 503s on part uploads, SIGKILL, Ctrl-C, resumed downloads.

UCS runs on the filesystem store with FILESYSTEM_PUBLIC_URL set to a fault-injecting proxy, so every presigned URL
(part PUTs, download GETs) goes through the proxy while the REST calls reach UCS directly.
"""

from __future__ import annotations

import re
import signal
import time

import pytest
import requests

from tests.support.client_runs import (
    MiB,
    make_file,
    pending_upload,
    ranges_done,
    register,
    run_client,
    run_in_terminal,
    show,
    start_client,
    stored_parts,
    ucs_call,
    upload_underway,
    wait_until,
)
from tests.support.faulty_store import PARALLEL, PART_SIZE, download_args, port_of, upload_args
from tests.support.tcp_proxy import TcpProxy
from tests.support.ucs_server import ucs_server

pytestmark = pytest.mark.slow


def reported_retries(stdout: str) -> int:
    return int(next(line for line in stdout.splitlines() if line.startswith("retries: ")).split()[1])


def test_upload_survives_resets_and_503s_and_reads_back_identical(capsys, ucs, faulty, tmp_path):
    source = make_file(tmp_path / "flaky.bin", 12 * MiB + 777)
    register(ucs.url, "faults-1", source)
    faulty.fault_rate = 0.4

    result = run_client(*upload_args(ucs.url, "faults-1", source))

    assert result.returncode == 0, result.stderr
    faults = sum(faulty.stats.faults.values())
    retries = reported_retries(result.stdout)
    show(
        capsys,
        f"\nfault proxy: {faulty.stats.part_uploads} part PUTs, faults {dict(faulty.stats.faults)}, "
        f"client retries {retries}, outcome: uploaded",
    )
    assert faults >= 3
    assert retries == faults  # each injected fault cost exactly one attempt, and nothing else failed
    back = tmp_path / "back.bin"
    faulty.fault_rate = 0.0
    downloaded = run_client(*download_args(ucs.url, "faults-1", back))
    assert downloaded.returncode == 0, downloaded.stderr
    assert back.read_bytes() == source.read_bytes()


def test_upload_killed_with_sigkill_resumes_and_resends_little(capsys, ucs, faulty, tmp_path):
    size = 16 * MiB + 4321
    source = make_file(tmp_path / "killed.bin", size, seed=7)
    register(ucs.url, "faults-kill", source)
    faulty.part_rate_limit = 1 * MiB  # per part upload: about four seconds for the whole file

    first, upload = upload_underway(
        upload_args(ucs.url, "faults-kill", source), tmp_path / "first.log", stored=5
    )
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    stored_before = len(stored_parts(ucs.url, upload["upload_id"]))
    sent_first = faulty.stats.part_bytes_received

    faulty.part_rate_limit = None
    second = run_client(*upload_args(ucs.url, "faults-kill", source))

    assert second.returncode == 0, second.stderr
    assert re.search(r"^resuming: \d+ of 17 parts already stored \(.*\), \d+ to send$", second.stdout, re.M)
    resumed = next(line for line in second.stdout.splitlines() if line.startswith("resumed upload"))
    reused = int(resumed.split(": ")[1].split()[0])
    sent_twice = faulty.stats.part_bytes_received - size
    show(
        capsys,
        f"\nSIGKILL resume: {stored_before} of 17 parts stored at the kill, {reused} reused by the rerun, "
        f"{sent_first} bytes sent before the kill, {sent_twice} bytes sent twice",
    )
    assert reused >= stored_before >= 5
    assert 0 <= sent_twice <= PARALLEL * PART_SIZE  # at most the parts in flight when it died
    back = tmp_path / "back.bin"
    assert run_client(*download_args(ucs.url, "faults-kill", back)).returncode == 0
    assert back.read_bytes() == source.read_bytes()


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(ucs, faulty, tmp_path):
    source = make_file(tmp_path / "stopped.bin", 12 * MiB, seed=8)
    register(ucs.url, "faults-ctrl-c", source)
    faulty.part_rate_limit = 1 * MiB

    first, upload = upload_underway(
        upload_args(ucs.url, "faults-ctrl-c", source), tmp_path / "first.log", stored=2
    )
    first.send_signal(signal.SIGINT)
    assert first.wait(20) == 130
    output = (tmp_path / "first.log").read_text()
    assert "Traceback" not in output
    assert "resume with: upload-client upload --file-id faults-ctrl-c" in output
    assert pending_upload(ucs.url, "faults-ctrl-c")["upload_id"] == upload["upload_id"]

    faulty.part_rate_limit = None
    second = run_client(*upload_args(ucs.url, "faults-ctrl-c", source))
    assert second.returncode == 0, second.stderr
    assert "resumed upload" in second.stdout


def test_a_second_ctrl_c_quits_at_once_and_still_leaves_a_resumable_upload(ucs, faulty, tmp_path):
    source = make_file(tmp_path / "twice.bin", 8 * MiB, seed=15)
    register(ucs.url, "faults-ctrl-c-twice", source)
    faulty.part_rate_limit = MiB // 2  # two seconds per part: both signals land while parts are in flight

    first = start_client(*upload_args(ucs.url, "faults-ctrl-c-twice", source), log=tmp_path / "first.log")
    wait_until(lambda: pending_upload(ucs.url, "faults-ctrl-c-twice"), what="the pending upload")
    wait_until(lambda: faulty.stats.part_bytes_received > 0, what="part bytes at the proxy")
    first.send_signal(signal.SIGINT)
    time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    assert first.wait(20) == 130
    output = (tmp_path / "first.log").read_text()
    assert "Traceback" not in output
    assert (
        output.strip().splitlines()[-1] == "upload-client: error: interrupted; run the same command to resume"
    )

    faulty.part_rate_limit = None
    second = run_client(*upload_args(ucs.url, "faults-ctrl-c-twice", source))
    assert second.returncode == 0, second.stderr
    [upload] = ucs_call("GET", ucs.url, "/files/faults-ctrl-c-twice/multipart_uploads").json()
    assert upload["status"] == "uploaded"


def test_a_file_changed_during_its_upload_is_not_completed_and_the_rerun_sends_the_new_bytes(
    ucs, faulty, tmp_path
):
    source = make_file(tmp_path / "moving.bin", 6 * MiB, seed=16)
    register(ucs.url, "faults-changed", size=6 * MiB)  # no SHA-256: UCS could not tell by itself
    faulty.part_rate_limit = MiB // 2  # two seconds per part: the change lands seconds before the end

    first, upload = upload_underway(upload_args(ucs.url, "faults-changed", source), tmp_path / "first.log")
    with open(source, "r+b") as data:  # part 1 is stored already; its bytes change now
        data.write(b"changed!")
    assert first.wait(30) == 7
    output = (tmp_path / "first.log").read_text()
    assert "moving.bin changed while it was being uploaded (it was written to" in output
    assert f"6 of 6 parts are stored and upload {upload['upload_id']} is left pending" in output
    assert pending_upload(ucs.url, "faults-changed")["upload_id"] == upload["upload_id"]

    faulty.part_rate_limit = None
    second = run_client(*upload_args(ucs.url, "faults-changed", source))
    assert second.returncode == 0, second.stderr
    assert "(1 stored parts do not match the local file and are sent again)" in second.stdout
    back = tmp_path / "back.bin"
    assert run_client(*download_args(ucs.url, "faults-changed", back)).returncode == 0
    assert back.read_bytes() == source.read_bytes()


def test_an_upload_canceled_meanwhile_stops_the_client_and_the_rerun_starts_afresh(ucs, faulty, tmp_path):
    source = make_file(tmp_path / "canceled.bin", 8 * MiB, seed=17)
    register(ucs.url, "faults-canceled", source)
    faulty.part_rate_limit = MiB // 2

    first, upload = upload_underway(upload_args(ucs.url, "faults-canceled", source), tmp_path / "first.log")
    canceled = ucs_call(
        "PATCH", ucs.url, f"/multipart_uploads/{upload['upload_id']}", json={"status": "cancelled"}
    )
    assert canceled.ok, canceled.text
    assert first.wait(30) == 1
    error = (tmp_path / "first.log").read_text().strip().splitlines()[-1]
    assert (
        f"upload {upload['upload_id']} is no longer pending at UCS (canceled or failed meanwhile); "
        "running the same command starts a new upload: upload-client upload --file-id faults-canceled"
    ) in error
    assert "left pending" not in error

    faulty.part_rate_limit = None
    second = run_client(*upload_args(ucs.url, "faults-canceled", source))
    assert second.returncode == 0, second.stderr
    statuses = ucs_call("GET", ucs.url, "/files/faults-canceled/multipart_uploads").json()
    assert sorted(u["status"] for u in statuses) == ["canceled", "uploaded"]


def test_download_killed_then_resumed_from_its_part_file(capsys, ucs, faulty, tmp_path):
    source = make_file(tmp_path / "down.bin", 12 * MiB + 99, seed=9)
    register(ucs.url, "faults-download", source)
    assert run_client(*upload_args(ucs.url, "faults-download", source)).returncode == 0
    target = tmp_path / "copy.bin"
    journal = tmp_path / "copy.bin.part.json"
    faulty.download_rate_limit = 1 * MiB

    first = start_client(*download_args(ucs.url, "faults-download", target), log=tmp_path / "first.log")
    wait_until(lambda: journal.exists() and ranges_done(journal) >= 4, what="4 ranges")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert not target.exists()
    done_before = ranges_done(journal)

    faulty.download_rate_limit = None
    second = run_client(*download_args(ucs.url, "faults-download", target))

    assert second.returncode == 0, second.stderr
    assert re.search(
        r"^resuming: \d+ of 13 ranges already in .*copy\.bin\.part \(.*\), \d+ to fetch$", second.stdout, re.M
    )
    reused = int(next(line for line in second.stdout.splitlines() if line.startswith("resumed:")).split()[1])
    show(
        capsys,
        f"\ndownload resume: {done_before} of 13 ranges on disk before the kill, {reused} bytes reused",
    )
    assert reused >= done_before * MiB
    assert target.read_bytes() == source.read_bytes()
    assert not journal.exists()


def test_a_second_download_to_the_same_output_is_refused_and_the_first_stays_verified(ucs, faulty, tmp_path):
    source = make_file(tmp_path / "shared.bin", 12 * MiB, seed=19)
    register(ucs.url, "faults-two-downloads", source)
    assert run_client(*upload_args(ucs.url, "faults-two-downloads", source)).returncode == 0
    target = tmp_path / "copy.bin"
    journal = tmp_path / "copy.bin.part.json"
    faulty.download_rate_limit = 1 * MiB  # about three seconds: the second starts while the first runs

    first = start_client(*download_args(ucs.url, "faults-two-downloads", target), log=tmp_path / "first.log")
    wait_until(lambda: journal.exists() and ranges_done(journal) >= 2, what="2 ranges")
    second = run_client(*download_args(ucs.url, "faults-two-downloads", target))

    assert second.returncode == 1, second.stderr
    [line] = second.stderr.strip().splitlines()
    assert f"another download to {target} is running ({target}.part is locked)" in line
    assert first.wait(60) == 0, (tmp_path / "first.log").read_text()
    assert target.read_bytes() == source.read_bytes()
    assert not journal.exists()


def test_retries_running_out_leave_the_upload_pending_with_the_resume_command(ucs, faulty, tmp_path):
    source = make_file(tmp_path / "doomed.bin", 2 * MiB, seed=10)
    register(ucs.url, "faults-doomed", source)
    faulty.fault_rate = 1.0
    faulty.faults = ("503",)

    result = run_client(*upload_args(ucs.url, "faults-doomed", source), timeout=180)

    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "failed 6 times, last: part" in result.stderr
    assert "resume with: upload-client upload --file-id faults-doomed" in result.stderr
    assert pending_upload(ucs.url, "faults-doomed") is not None


def test_the_progress_bar_never_counts_a_byte_twice_across_retries_and_resume(ucs, faulty, tmp_path):
    source = make_file(tmp_path / "bar.bin", 8 * MiB, seed=12)
    register(ucs.url, "faults-bar", source)
    started = ucs_call("POST", ucs.url, "/files/faults-bar/multipart_uploads", json={"size": 8 * MiB})
    upload_id = started.json()["upload_id"]
    # Store parts 1 and 2 beforehand, as an earlier run would have: the bar must start at 2 MiB.
    for part_no in (1, 2):
        url = ucs_call(
            "POST", ucs.url, f"/multipart_uploads/{upload_id}/part/{part_no}/presigned_post"
        ).json()["url"]
        offset = (part_no - 1) * PART_SIZE
        requests.put(
            url, data=source.read_bytes()[offset : offset + PART_SIZE], timeout=10
        ).raise_for_status()
    faulty.fault_rate = 0.3

    code, output = run_in_terminal(*upload_args(ucs.url, "faults-bar", source))

    assert code == 0, output
    assert sum(faulty.stats.faults.values()) >= 1
    percentages = [int(p) for p in re.findall(r"upload:\s+(\d+)%", output)]
    assert percentages[0] == 25  # the two stored parts of eight
    assert percentages[-1] == 100
    assert max(percentages) == 100
    assert percentages == sorted(percentages)  # never backwards, never past the total
    assert "8.00M/8.00M" in output
    assert "retrying part" in output
    # Before the upload bar: the stored parts are read back and verified, with a bar of their own.
    verifying = output.index("verifying stored parts: 100%")
    assert "reading the 2 stored parts (2.00 MiB) to verify them" in output[:verifying]
    assert "2.00M/2.00M" in output[verifying : output.index("upload:")]
    assert "resuming: 2 of 8 parts already stored (2.00 MiB), 6 to send" in output


def test_expired_urls_are_replaced_by_fresh_ones(tmp_path, faulty):
    # A separate UCS whose URLs live 2 s; the proxy holds the first part upload and the first ranged GET
    # for 4 s, so they reach the store with expired URLs.
    with ucs_server(
        tmp_path / "ucs", PART_SIZE=PART_SIZE, FILESYSTEM_PUBLIC_URL=faulty.url, PRESIGNED_URL_EXPIRY=2
    ) as ucs:
        faulty.forward_to(port_of(ucs.url))
        source = make_file(tmp_path / "late.bin", 3 * MiB, seed=13)
        register(ucs.url, "faults-expired", source)
        faulty.delays = {"PUT": [4.0], "GET": [4.0]}

        uploaded = run_client(*upload_args(ucs.url, "faults-expired", source))
        back = tmp_path / "back.bin"
        downloaded = run_client(*download_args(ucs.url, "faults-expired", back))

    assert uploaded.returncode == 0, uploaded.stderr
    assert downloaded.returncode == 0, downloaded.stderr
    assert faulty.stats.answers["PUT", 403] == 1
    assert faulty.stats.answers["GET", 403] == 1
    assert reported_retries(uploaded.stdout) == 1
    assert reported_retries(downloaded.stdout) == 1
    assert back.read_bytes() == source.read_bytes()


def test_ucs_unreachable_mid_upload_stops_with_exit_4_and_the_same_command_resumes(ucs, faulty, tmp_path):
    source = make_file(tmp_path / "cut.bin", 12 * MiB, seed=14)
    register(ucs.url, "faults-ucs-gone", source)
    api = TcpProxy(port_of(ucs.url)).start()  # the client reaches UCS's API only through this
    api_url = f"http://127.0.0.1:{api.port}"
    faulty.part_rate_limit = 1 * MiB
    try:
        first, upload = upload_underway(
            upload_args(api_url, "faults-ucs-gone", source), tmp_path / "first.log", stored=2, ucs_url=ucs.url
        )
        api.cut()
        assert first.wait(60) == 4
        output = (tmp_path / "first.log").read_text()
        assert "Traceback" not in output
        assert f"cannot reach UCS at {api_url}" in output
        assert "resume with: upload-client upload --file-id faults-ucs-gone" in output

        api.restore()
        faulty.part_rate_limit = None
        second = run_client(*upload_args(api_url, "faults-ucs-gone", source))
    finally:
        api.cut()
    assert second.returncode == 0, second.stderr
    assert "resumed upload" in second.stdout
    back = tmp_path / "back.bin"
    assert run_client(*download_args(ucs.url, "faults-ucs-gone", back)).returncode == 0
    assert back.read_bytes() == source.read_bytes()

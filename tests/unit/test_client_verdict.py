"""Waiting for UCS's verdict on an upload (`upload --wait`) and showing it (`status`), against a stub UCS.

The stub (tests/support/scripted_server.py) answers the upload's states in turn; the waits run on the fake
clock of test_client_waiting, so nothing sleeps.
"""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner

from tests.support.scripted_server import scripted_server
from tests.unit.test_client_waiting import FakePatience
from upload_client import cli
from upload_client.api import UcsClient
from upload_client.config import TransferConfig
from upload_client.exceptions import ClientError, Rejected, StillValidating
from upload_client.subscribers import TransferSubscriber
from upload_client.transfer import TransferEngine
from upload_client.verdict import VerdictWaiter, verdict_note

DATA = b"0123456789abcdef" * 64
SHA256 = hashlib.sha256(DATA).hexdigest()
REASON = f"sha256 of the stored object is {'b' * 64}, the registered one is {SHA256}"
UPLOADS = "GET /files/F/multipart_uploads"
UPLOAD = "GET /multipart_uploads/U1"


def upload(status: str, progress: int | None = None, **more) -> dict:
    return {
        "upload_id": "U1",
        "file_id": "F",
        "status": status,
        "part_size": 8 * 1024 * 1024,
        "size": len(DATA),
        "sha256": SHA256,
        "created_at": "2026-12-03T18:00:00Z",
        "reason": None,
        "validated_at": None,
        "validated_by": None,
        "validation_progress": progress,
        "fixity_checked_at": None,
        "fixity_failed_at": None,
        "fixity_reason": None,
        **more,
    }


ACCEPTED = upload("accepted", validated_at="2026-12-03T18:00:09Z", validated_by="host:42")
REJECTED = upload("rejected", reason=REASON, validated_at="2026-12-03T18:00:09Z", validated_by="host:42")


def looked_up(*states: dict) -> list[tuple]:
    return [(200, state, {}) for state in states]


class Recorder(TransferSubscriber):
    def __init__(self):
        self.phases, self.progress, self.notes = [], [], []

    def on_start(self, total_bytes, done_bytes, phase):
        self.phases.append((phase, total_bytes))

    def on_progress(self, bytes_transferred):
        self.progress.append(bytes_transferred)

    def on_note(self, text):
        self.notes.append(text)


def waiting(ucs, timeout: float = 600) -> tuple[VerdictWaiter, Recorder, FakePatience]:
    recorder, patience = Recorder(), FakePatience(timeout)
    engine = TransferEngine(TransferConfig(), [recorder])
    waiter = VerdictWaiter(UcsClient(ucs.base_url), engine, "upload-client status --file-id F", patience)
    return waiter, recorder, patience


def test_the_wait_shows_the_bytes_read_and_ends_accepted():
    states = looked_up(upload("uploaded"), upload("uploaded", 512), upload("uploaded", 768), ACCEPTED)
    with scripted_server({UPLOAD: states}) as ucs:
        waiter, recorder, patience = waiting(ucs)
        verdict = waiter.wait("F", "U1")
    assert (verdict.upload_id, verdict.validated_by, verdict.sha256) == ("U1", "host:42", SHA256)
    assert recorder.phases == [("validating", len(DATA))]
    # Nothing read yet still redraws the bar (0); then the growth; the rest once accepted.
    assert recorder.progress == [0, 512, 256, len(DATA) - 768]
    assert patience.pauses == [0.5, 1, 2]
    assert recorder.notes[0].startswith("validating upload U1 of file F: UCS reads its 1.00 KiB back")


def test_a_rejected_upload_raises_with_the_validators_reason():
    with scripted_server({UPLOAD: looked_up(upload("uploaded", 100), REJECTED)}) as ucs:
        waiter, _, _ = waiting(ucs)
        with pytest.raises(Rejected) as raised:
            waiter.wait("F", "U1")
    assert raised.value.exit_code == 8 and raised.value.reason == REASON
    assert str(raised.value) == f"UCS rejected upload U1 of file F: {REASON}"


def test_the_wait_ends_at_its_timeout_saying_how_to_see_the_verdict_later():
    with scripted_server({UPLOAD: looked_up(upload("uploaded", 256))}) as ucs:
        waiter, _, patience = waiting(ucs, timeout=10)
        with pytest.raises(StillValidating) as raised:
            waiter.wait("F", "U1")
    assert patience.pauses == [0.5, 1, 2, 2, 2, 2, 0.5]
    assert raised.value.exit_code == 9
    assert "no verdict yet on upload U1 of file F after 10 s (--wait-timeout 10" in str(raised.value)
    assert "see the verdict later with upload-client status --file-id F" in str(raised.value)


def test_an_upload_that_will_get_no_verdict_is_said_so():
    canceled = upload("canceled", reason="canceled by alice")
    with scripted_server({UPLOAD: looked_up(canceled)}) as ucs:
        waiter, _, _ = waiting(ucs)
        with pytest.raises(
            ClientError, match="upload U1 of file F is canceled, so no verdict comes: canceled"
        ):
            waiter.wait("F", "U1")


# The command line: an upload UCS already holds (nothing is sent), then --wait.


def already_uploaded(*states: dict) -> dict:
    return {
        "GET /files/F": [(200, {"file_id": "F", "size": len(DATA), "sha256": SHA256}, {})],
        "GET /files/F/multipart_uploads?status=pending": [(200, [], {})],
        "POST /files/F/multipart_uploads": [(409, {"code": 409, "message": "file 'F' is uploaded"}, {})],
        UPLOADS: [(200, [upload("uploaded")], {})],
        UPLOAD: looked_up(*states),
    }


def run_upload(ucs, tmp_path, *more: str):
    source = tmp_path / "reads.bam"
    source.write_bytes(DATA)
    words = ["upload", "--file-id", "F", "--api-url", ucs.base_url, "--file-path", str(source), *more]
    return CliRunner().invoke(cli.main, words)


@pytest.fixture
def no_sleep(monkeypatch):
    """The command's waits on the fake clock."""
    monkeypatch.setattr("upload_client.verdict.Patience", FakePatience)


def test_upload_wait_exits_0_once_accepted(tmp_path, no_sleep):
    with scripted_server(already_uploaded(upload("uploaded"), ACCEPTED)) as ucs:
        result = run_upload(ucs, tmp_path, "--wait")
    assert result.exit_code == 0, result.output
    assert "accepted: UCS validated upload U1 of file F" in result.output


def test_upload_wait_exits_8_with_the_reason_when_rejected(tmp_path, no_sleep):
    with scripted_server(already_uploaded(REJECTED)) as ucs:
        result = run_upload(ucs, tmp_path, "--wait")
    assert result.exit_code == 8, result.output
    assert f"upload-client: error: UCS rejected upload U1 of file F: {REASON}" in result.output


def test_upload_wait_exits_9_at_its_timeout(tmp_path, no_sleep):
    with scripted_server(already_uploaded(upload("uploaded", 10))) as ucs:
        result = run_upload(ucs, tmp_path, "--wait", "--wait-timeout", "30")
    assert result.exit_code == 9, result.output
    assert "no verdict yet on upload U1 of file F after 30 s" in result.output
    assert f"upload-client status --file-id F --api-url {ucs.base_url}" in result.output


def test_upload_without_wait_does_not_ask_for_the_verdict(tmp_path):
    with scripted_server(already_uploaded(REJECTED)) as ucs:
        result = run_upload(ucs, tmp_path)
        assert ucs.count(UPLOADS) == 1  # only the look for a completed upload
        assert ucs.count(UPLOAD) == 0
    assert result.exit_code == 0, result.output


# status.


@pytest.mark.parametrize(
    ("state", "said"),
    [
        (upload("uploaded"), ", awaiting its verdict"),
        (upload("uploaded", 512), ", being validated (512 B of 1.00 KiB read)"),
        (ACCEPTED, ", accepted at 2026-12-03T18:00:09Z by host:42"),
        (REJECTED, ", rejected at 2026-12-03T18:00:09Z by host:42"),
        (
            {**ACCEPTED, "fixity_failed_at": "2027-01-01T00:00:00Z", "fixity_reason": "sha256 changed"},
            ", accepted at 2026-12-03T18:00:09Z by host:42; FIXITY FAILED at 2027-01-01T00:00:00Z: "
            "sha256 changed (no longer served)",
        ),
        ({"status": "uploaded", "upload_id": "U1"}, ""),  # a UCS that does not validate
    ],
)
def test_verdict_notes(state, said):
    assert verdict_note(state) == said


def test_status_shows_the_verdict_and_the_rejection_reason():
    script = {
        "GET /files/F": [(200, {"file_id": "F", "size": len(DATA), "sha256": SHA256}, {})],
        UPLOADS: [(200, [REJECTED], {})],
    }
    with scripted_server(script) as ucs:
        result = CliRunner().invoke(cli.main, ["status", "--file-id", "F", "--api-url", ucs.base_url])
    assert result.exit_code == 0, result.output
    assert (
        "upload U1: rejected, part size 8.00 MiB, started 2026-12-03T18:00:00Z, rejected at " in result.output
    )
    assert f"by host:42, reason: {REASON}" in result.output


def test_an_upload_accepted_already_is_returned_without_a_wait_or_a_bar():
    with scripted_server({UPLOAD: looked_up(ACCEPTED)}) as ucs:
        waiter, recorder, patience = waiting(ucs)
        assert waiter.wait("F", "U1").validated_at == "2026-12-03T18:00:09Z"
    assert (recorder.phases, recorder.notes, patience.pauses) == ([], [], [])


def test_a_long_wait_says_every_minute_how_much_is_read_and_how_fast():
    states = looked_up(*[upload("uploaded", 1000)] * 40, ACCEPTED)
    with scripted_server({UPLOAD: states}) as ucs:
        waiter, recorder, _ = waiting(ucs)
        waiter.wait("F", "U1")
    [reminder] = recorder.notes[1:]
    assert reminder == "still validating upload U1: 62 s, 1000 B of 1.00 KiB read (0.0 MB/s)"

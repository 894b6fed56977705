"""The upload's decisions with a stub UCS: which stored parts are reused, which pending upload is used."""

from __future__ import annotations

import hashlib
import os

import pytest
import requests
import urllib3.exceptions

from tests.support.client_subscriber import Recorder
from upload_client.config import TransferConfig
from upload_client.exceptions import (
    ApiError,
    BadInput,
    Interrupted,
    SourceChanged,
    TransferIncomplete,
    UcsUnreachable,
)
from upload_client.os_files import file_version, open_local_file
from upload_client.parts import split
from upload_client.resume_advice import ResumeAdvice
from upload_client.source_check import reread_differently
from upload_client.stored_parts import local_etags, resume_note, reusable_parts
from upload_client.transfer import TransferEngine
from upload_client.upload import Uploader
from upload_client.upload_start import pending_or_new

DATA = os.urandom(10_000)


class StubApi:
    base_url = "http://ucs.example"

    def __init__(self, pending=None, start_error=None, uploads=()):
        self.pending = pending
        self.start_error = start_error
        self.started = []
        self.all_uploads = list(uploads)

    def uploads(self, file_id):
        return self.all_uploads

    def pending_upload(self, file_id):
        return self.pending

    def start_upload(self, file_id, size):
        if self.start_error:
            raise self.start_error
        self.started.append(size)
        return {"upload_id": "new", "part_size": 4000, "size": size}

    def stored_parts(self, upload_id):
        return [{"part_no": 1, "etag": "x", "size": 4000}]

    def get_upload(self, upload_id):
        return {"upload_id": upload_id, "status": "pending"}


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def fd(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    descriptor = os.open(path, os.O_RDONLY)
    yield descriptor
    os.close(descriptor)


def uploader(api) -> Uploader:
    return Uploader(api, TransferEngine(TransferConfig()), cancel_command="upload-client cancel --file-id f")


def start(api, file):
    return pending_or_new(
        api, file, "f", "data.bin", 10_000, cancel_command="upload-client cancel --file-id f"
    )


def test_only_stored_parts_with_the_local_size_and_md5_are_reused(fd):
    parts = split(len(DATA), 4000)
    stored = [
        {"part_no": 1, "etag": f'"{md5(DATA[:4000])}"', "size": 4000},  # matches
        {"part_no": 2, "etag": f'"{md5(b"other bytes")}"', "size": 4000},  # other content
        {"part_no": 3, "etag": f'"{md5(DATA[8000:9000])}"', "size": 1000},  # shorter than the local part
    ]
    reused = reusable_parts(TransferEngine(TransferConfig()), fd, parts, stored)
    assert reused == {1: f'"{md5(DATA[:4000])}"'}


def test_verifying_stored_parts_is_a_phase_with_progress_and_a_resume_line(fd):
    parts = split(len(DATA), 4000)
    stored = [
        {"part_no": 1, "etag": f'"{md5(DATA[:4000])}"', "size": 4000},
        {"part_no": 2, "etag": f'"{md5(b"other bytes")}"', "size": 4000},
    ]
    recorder = Recorder()
    engine = TransferEngine(TransferConfig(chunk_size=1000), [recorder])

    reused = reusable_parts(engine, fd, parts, stored)
    engine.note(resume_note(parts, stored, reused))

    assert recorder.phases == [("verifying stored parts", 8000, 0)]
    assert recorder.progress_by_phase == {"verifying stored parts": 8000}  # both parts read, each once
    assert recorder.events[0] == "note reading the 2 stored parts (7.81 KiB) to verify them"
    assert recorder.notes[-1] == (
        "resuming: 1 of 3 parts already stored (3.91 KiB), 2 to send "
        "(1 stored parts do not match the local file and are sent again)"
    )


def test_parts_read_again_are_compared_with_their_etags_quotes_and_case_aside():
    etags = {1: f'"{md5(b"one").upper()}"', 2: f'"{md5(b"two")}"', 3: md5(b"three")}
    assert reread_differently(etags, {1: md5(b"one"), 3: md5(b"three")}) == []
    assert reread_differently(etags, {3: md5(b"THREE"), 1: md5(b"one"), 2: md5(b"owt")}) == [2, 3]


def test_a_part_that_reads_other_bytes_the_second_time_refuses_completion_and_leaves_it_pending(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    fd, _ = open_local_file(str(path))
    try:
        started = file_version(fd)
        etags = {n: f'"{md5(DATA[(n - 1) * 4000 : n * 4000])}"' for n in (1, 2, 3)}
        same = {1: md5(DATA[:4000]), 2: md5(DATA[4000:8000])}
        uploader(StubApi())._check_unchanged(fd, str(path), started, "u1", etags, same)  # the same bytes

        with pytest.raises(SourceChanged) as refused:
            uploader(StubApi())._check_unchanged(fd, str(path), started, "u1", etags, {**same, 2: md5(b"x")})
    finally:
        os.close(fd)
    assert refused.value.exit_code == 7
    message = str(refused.value)
    assert "(it was rewritten in place: part 2 read again gave other bytes than the first time)" in message
    assert "3 of 3 parts are stored and upload u1 is left pending; resume with: " in message


def test_a_completion_rebuilt_from_the_local_file_takes_the_etags_and_sha256_from_one_reading(fd):
    parts = split(len(DATA), 4000)
    etags, sha256, reread = local_etags(TransferEngine(TransferConfig()), fd, "data.bin", "u1", parts)
    expected = {part.number: md5(DATA[part.offset : part.end]) for part in parts}
    assert sha256 == hashlib.sha256(DATA).hexdigest()
    assert etags == {number: f'"{digest}"' for number, digest in expected.items()}
    assert reread == expected  # the same reading's MD5s: the comparison before completing finds no change


def test_a_new_upload_is_started_with_the_local_size():
    api = StubApi()
    upload, stored = start(api, {"size": None})
    assert upload["upload_id"] == "new"
    assert api.started == [10_000]
    assert stored == []


def test_a_start_refused_because_one_is_pending_uses_that_one():
    class RacingApi(StubApi):
        def pending_upload(self, file_id):
            # None at first; the pending upload appears once the start was refused.
            return (
                None if not self.start_error_seen else {"upload_id": "won", "part_size": 4000, "size": 10_000}
            )

        def start_upload(self, file_id, size):
            self.start_error_seen = True
            raise ApiError(409, "file 'f' already has an upload that is pending: won")

    api = RacingApi()
    api.start_error_seen = False
    upload, stored = start(api, {"size": 10_000})
    assert upload["upload_id"] == "won"
    assert stored == [{"part_no": 1, "etag": "x", "size": 4000}]


def test_a_pending_upload_for_another_size_is_explained_with_the_cancel_command():
    api = StubApi(pending={"upload_id": "old", "part_size": 4000, "size": 9_999})
    with pytest.raises(
        BadInput, match="started for 9999 bytes; to start over, cancel it: upload-client cancel"
    ):
        start(api, {"size": None})


def test_a_start_refused_for_another_reason_is_reported_with_ucs_reason():
    api = StubApi(start_error=ApiError(409, "a concurrent request changed this resource first; retry"))
    with pytest.raises(BadInput, match="a concurrent request changed this resource first"):
        start(api, {"size": None})


@pytest.fixture
def uploaded_before(tmp_path):
    """A local file and a stub UCS whose file already has a completed upload of it."""
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    done = {"upload_id": "u1", "status": "uploaded", "part_size": 4000, "size": len(DATA)}
    done["sha256"] = hashlib.sha256(DATA).hexdigest()
    error = ApiError(409, "file 'f' already has an upload that is uploaded: u1")

    class Registered(StubApi):
        def get_file(self, file_id):
            return {"file_id": file_id, "size": len(DATA), "sha256": None}

    return path, Registered(start_error=error, uploads=[done])


def test_running_again_after_success_sends_nothing_when_the_file_is_the_same(uploaded_before):
    path, api = uploaded_before
    recorder = Recorder()
    report = Uploader(api, TransferEngine(TransferConfig(), [recorder])).upload("f", str(path))
    assert report.already_uploaded
    assert "checking that" in recorder.notes[0]
    assert recorder.progress <= len(DATA)  # any hashing still running when awaited shows as progress
    assert report.upload_id == "u1"
    assert report.sha256 == hashlib.sha256(DATA).hexdigest()


def test_running_again_with_other_content_is_refused(uploaded_before):
    path, api = uploaded_before
    path.write_bytes(bytes(len(DATA)))
    with pytest.raises(
        BadInput, match="already has an upload that is uploaded: u1; .* is not what was uploaded"
    ):
        uploader(api).upload("f", str(path))


def test_open_local_file_returns_the_size(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"abc")
    fd, size = open_local_file(str(path))
    os.close(fd)
    assert size == 3


def test_special_files_are_refused(tmp_path):
    with pytest.raises(BadInput, match="not a regular file"):
        open_local_file("/dev/null")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(BadInput, match="not a regular file"):
        open_local_file(str(fifo))  # at once: opening it does not wait for a writer


def test_a_stop_explains_what_is_left_and_how_to_go_on():
    resuming = ResumeAdvice(StubApi(), resume_command="upload-client upload F")
    stopped = resuming.left_pending(TransferIncomplete("part 3 failed 6 times"), "u", 2, 5)
    assert str(stopped) == (
        "part 3 failed 6 times; 2 of 5 parts are stored and upload u is left pending; "
        "resume with: upload-client upload F"
    )


def test_a_stop_after_the_upload_was_canceled_elsewhere_says_so():
    class Canceled(StubApi):
        def get_upload(self, upload_id):
            return {"upload_id": upload_id, "status": "canceled"}

    resuming = ResumeAdvice(Canceled(), resume_command="upload-client upload F")
    stopped = resuming.left_pending(TransferIncomplete("part 5: the store refused it with 404"), "u", 2, 5)
    assert str(stopped) == (
        "part 5: the store refused it with 404; upload u is no longer pending at UCS (canceled or failed "
        "meanwhile); running the same command starts a new upload: upload-client upload F"
    )
    assert stopped.exit_code == 1
    # Ctrl-C is answered at once, without asking UCS.
    interrupted = resuming.left_pending(Interrupted("interrupted"), "u", 2, 5)
    assert "is left pending; resume with" in str(interrupted)


class Completing(StubApi):
    """A UCS whose answers to the completion come from outcomes (None: accepted), and that reports the
    upload as recorded."""

    def __init__(self, outcomes, recorded):
        super().__init__()
        self.outcomes = list(outcomes)
        self.recorded = recorded
        self.completions = 0

    def complete(self, upload_id, etags, sha256):
        self.completions += 1
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome

    def get_upload(self, upload_id):
        return self.recorded


def lost_answer() -> UcsUnreachable:
    cause = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    return UcsUnreachable("cannot reach UCS: the connection was closed", requests.ConnectionError(cause))


SHA256 = "a" * 64


def complete(api) -> None:
    uploader(api)._complete("u", {1: '"e"'}, "data.bin", SHA256, None)


def test_a_completion_whose_answer_was_lost_is_sent_again():
    api = Completing([lost_answer(), None], {"status": "pending"})
    complete(api)
    assert api.completions == 2


def test_a_completion_sent_again_waits_the_apis_backoff_not_the_stores(monkeypatch):
    api = Completing([lost_answer(), lost_answer(), lost_answer(), None], {"status": "pending"})
    sending = uploader(api)
    sending.engine.config = TransferConfig(api_backoff_initial=0.25, api_backoff_max=0.6, backoff_initial=9)
    pauses = []
    monkeypatch.setattr(sending.engine, "sleep", pauses.append)
    sending._complete("u", {1: '"e"'}, "data.bin", SHA256, None)
    assert pauses == [0.25, 0.5, 0.6]


def test_a_refusal_after_a_lost_answer_is_success_when_ucs_recorded_the_upload_with_our_sha256():
    api = Completing(
        [lost_answer(), ApiError(409, "upload u is uploaded, not pending")],
        {"status": "uploaded", "sha256": SHA256},
    )
    complete(api)
    assert api.completions == 2
    other = Completing(
        [lost_answer(), ApiError(409, "upload u is uploaded, not pending")],
        {"status": "uploaded", "sha256": "b" * 64},
    )
    with pytest.raises(ApiError, match="UCS refused to complete upload u: upload u is uploaded, not pending"):
        complete(other)


class StoreLost(Completing):
    """A pending upload the store no longer holds: UCS refuses its parts with 409."""

    def stored_parts(self, upload_id):
        raise ApiError(409, "the object store no longer holds this upload")


def recover(api) -> None:
    uploader(api)._complete("u", {1: '"e"'}, "data.bin", SHA256, None, recovering=True)


def test_a_recovering_completion_ucs_left_pending_says_how_to_start_over():
    api = StoreLost([ApiError(502, "the object store's answers disagree")], {"status": "pending"})
    with pytest.raises(ApiError) as refused:
        recover(api)
    assert str(refused.value) == (
        "the object store's answers disagree; to start over: upload-client cancel --file-id f"
    )
    ended = StoreLost(
        [ApiError(409, "the store no longer holds this multipart upload")], {"status": "failed"}
    )
    with pytest.raises(ApiError, match="which the store no longer holds: .*the upload has ended"):
        recover(ended)


def test_a_completion_that_timed_out_is_not_sent_again():
    timed_out = UcsUnreachable("UCS did not answer", requests.ReadTimeout("read timed out"))
    api = Completing([timed_out, None], {"status": "pending"})
    with pytest.raises(
        UcsUnreachable, match="UCS did not answer; 1 of 1 parts are stored and upload u is left pending"
    ):
        complete(api)
    assert api.completions == 1

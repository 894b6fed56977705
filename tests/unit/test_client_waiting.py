"""Waiting for a file UCS is still validating: Retry-After honoured and capped, the deadline, what is said.

The servers are stubs on 127.0.0.1 (tests/support/scripted_server.py); the waits run on a fake clock that
records each pause instead of sleeping, so Retry-After is checked exactly and no test takes time.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time

import pytest
from click.testing import CliRunner

from tests.support.answers import answer
from tests.support.scripted_server import scripted_server
from upload_client import cli
from upload_client.api import UcsClient
from upload_client.config import TransferConfig
from upload_client.credentials import Credentials
from upload_client.download import Downloader
from upload_client.drs import drs_object
from upload_client.exceptions import ApiError, Interrupted, NotReady, StillValidating
from upload_client.sources import UcsFile
from upload_client.transfer import TransferEngine
from upload_client.waiting import (
    RETRY_AFTER_DEFAULT,
    RETRY_AFTER_MAX,
    Patience,
    not_ready,
    retry_after,
    wait_until_ready,
)

DATA = b"validated bytes " * 64
SHA256 = hashlib.sha256(DATA).hexdigest()
PENDING_MESSAGE = (
    "file 'F' is being validated: its upload is complete and awaits its verdict; ask again in 7 s"
)


class FakePatience(Patience):
    """A clock that moves only when the wait pauses; every pause is recorded."""

    def __init__(self, timeout: float, stop=None):
        super().__init__(timeout, stop)
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def pending(seconds: str | None = "7") -> tuple:
    headers = {} if seconds is None else {"Retry-After": seconds}
    return 409, {"code": 409, "status": "Conflict", "message": PENDING_MESSAGE}, headers


def download_answer(script) -> dict:
    return {"url": f"{script.base_url}/object", "size": len(DATA), "sha256": SHA256, "etag": '"e1"'}


# Reading the answers.


def test_a_409_with_retry_after_means_not_ready_and_keeps_ucs_message():
    response = answer(409, {"code": 409, "message": PENDING_MESSAGE})
    response.headers["Retry-After"] = "7"
    with pytest.raises(NotReady) as raised:
        UcsClient("http://ucs.example").rest.answer("GET", "/files/F/download", response)
    assert (raised.value.status, raised.value.retry_after, str(raised.value)) == (409, 7.0, PENDING_MESSAGE)


def test_a_409_without_retry_after_is_final():
    body = {"code": 409, "message": "file 'F' has no completed upload to download: its upload was rejected"}
    with pytest.raises(ApiError) as raised:
        UcsClient("http://ucs.example").rest.answer("GET", "/files/F/download", answer(409, body))
    assert not isinstance(raised.value, NotReady)


def test_drs_202_is_not_ready_with_its_msg_and_an_http_date_retry_after_is_read():
    response = answer(202, {"msg": "DRS object 'F' is being validated", "status_code": 202})
    assert not_ready(response, response.json()).retry_after is None
    response.headers["Retry-After"] = "Wed, 21 Oct 2015 07:28:00 GMT"  # in the past: ask at once
    found = not_ready(response, response.json())
    assert (found.status, str(found), found.retry_after) == (202, "DRS object 'F' is being validated", 0.0)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (" 12 ", 12.0),
        ("-5", None),
        ("soon", None),
        ("\u00b2", None),
        ("Wed, 21 Oct 99999 07:28:00 GMT", None),
    ],
)
def test_retry_after_is_whole_seconds_or_a_date_and_anything_else_is_none(header, seconds):
    response = answer(409, {"code": 409, "message": "validating"})
    response.headers["Retry-After"] = header
    assert retry_after(response) == seconds


def test_a_retry_after_date_to_come_is_the_seconds_until_then():
    response = answer(409, {"code": 409, "message": "validating"})
    response.headers["Retry-After"] = email.utils.formatdate(time.time() + 120, usegmt=True)
    assert 100 < retry_after(response) <= 120


# The wait.


def not_ready_then(answers: list, result: str = "ready"):
    """A call that raises the NotReady answers in turn, then returns result; counts its calls."""
    calls = []

    def ask():
        calls.append(1)
        if len(calls) <= len(answers):
            raise answers[len(calls) - 1]
        return result

    return ask, calls


def test_retry_after_is_honoured_capped_and_defaulted():
    answers = [
        NotReady(409, "validating", 7),
        NotReady(409, "validating", 3600),
        NotReady(202, "later", None),
    ]
    ask, calls = not_ready_then(answers)
    patience, lines = FakePatience(3600), []
    assert wait_until_ready(ask, "file F", patience, lines.append) == "ready"
    assert patience.pauses == [7, RETRY_AFTER_MAX, RETRY_AFTER_DEFAULT]
    assert len(calls) == 4
    assert lines == ["file F is being validated; waiting up to 3600 s"]


def test_the_wait_ends_at_its_deadline_with_what_the_server_said():
    ask, calls = not_ready_then([NotReady(409, PENDING_MESSAGE, 7)] * 100)
    patience, lines = FakePatience(20), []
    with pytest.raises(StillValidating) as raised:
        wait_until_ready(ask, "file F", patience, lines.append)
    assert patience.pauses == [7, 7, 6]  # the last pause stops at the deadline
    assert raised.value.exit_code == 9
    assert "file F is still being validated after 20 s of waiting (--wait-timeout 20)" in str(raised.value)
    assert PENDING_MESSAGE in str(raised.value)


def test_a_long_wait_says_every_minute_that_it_goes_on():
    ask, _ = not_ready_then([NotReady(409, "validating", 30)] * 5)
    lines = []
    wait_until_ready(ask, "file F", FakePatience(3600), lines.append)
    assert lines == [
        "file F is being validated; waiting up to 3600 s",
        "file F is still being validated (60 s waited)",
        "file F is still being validated (120 s waited)",
    ]


def test_a_timeout_of_zero_does_not_wait():
    ask, calls = not_ready_then([NotReady(409, "validating", 7)])
    patience = FakePatience(0)
    with pytest.raises(StillValidating):
        wait_until_ready(ask, "file F", patience, print)
    assert (patience.pauses, len(calls)) == ([], 1)


# Downloads against a stub UCS and a stub DRS server.


class Notes:
    def __init__(self):
        self.lines = []

    def on_note(self, text):
        self.lines.append(text)

    def on_start(self, *args):
        pass

    on_progress = on_retry = on_done = on_start


def test_a_download_waits_while_ucs_validates_the_file_then_downloads_it(tmp_path):
    script = {
        "GET /files/F/download": [pending(), pending(), (200, download_answer, {})],
        "GET /object": [(200, DATA, {})],
    }
    notes = Notes()
    with scripted_server(script) as ucs:
        engine = TransferEngine(TransferConfig(wait_timeout=600), [notes])
        patience = FakePatience(600)
        report = Downloader(UcsFile(UcsClient(ucs.base_url), "F"), engine, patience).download(
            str(tmp_path / "out")
        )
    assert (tmp_path / "out").read_bytes() == DATA and report.sha256 == SHA256
    assert patience.pauses == [7, 7]
    assert ucs.count("GET /files/F/download") >= 3
    assert notes.lines[0] == "file F is being validated; waiting up to 600 s"


def test_a_drs_download_waits_on_202_with_retry_after(tmp_path):
    described = {
        "id": "F",
        "size": len(DATA),
        "checksums": [{"type": "sha-256", "checksum": SHA256}],
        "access_methods": [{"type": "https", "access_id": "https"}],
    }
    not_yet = (202, {"msg": "DRS object 'F' is being validated", "status_code": 202}, {"Retry-After": "4"})
    script = {
        "GET /ga4gh/drs/v1/objects/F": [not_yet, (200, described, {})],
        "GET /ga4gh/drs/v1/objects/F/access/https": [(200, lambda s: {"url": f"{s.base_url}/object"}, {})],
        "GET /object": [(200, DATA, {})],
    }
    with scripted_server(script) as server:
        config = TransferConfig()
        source = drs_object("drs://somewhere/F", server.base_url, Credentials(), config)
        patience = FakePatience(600)
        Downloader(source, TransferEngine(config), patience).download(str(tmp_path / "out"))
    assert (tmp_path / "out").read_bytes() == DATA
    assert patience.pauses == [4]


def test_a_download_still_pending_at_its_timeout_exits_9_and_leaves_nothing(tmp_path):
    with scripted_server({"GET /files/F/download": [pending("1")]}) as ucs:
        out = tmp_path / "out"
        result = CliRunner().invoke(
            cli.main,
            ["download", "--file-id", "F", "--api-url", ucs.base_url, "--output", str(out)],
            env={"UCS_WAIT_TIMEOUT": "0"},
        )
    assert result.exit_code == 9, result.output
    assert "file F is still being validated after 0 s of waiting (--wait-timeout 0)" in result.output
    assert list(tmp_path.iterdir()) == []


REFUSED = (
    "file 'F' has no completed upload to download: its upload was rejected by validation: sha256 expected a"
)


@pytest.mark.parametrize(
    ("latest", "code"),
    [
        ({"status": "rejected", "reason": "sha256 expected a"}, 8),
        ({"status": "accepted", "fixity_failed_at": "2027-01-01T00:00:00Z", "fixity_reason": "changed"}, 5),
        ({"status": "pending"}, 1),
        (None, 1),  # the token may not read the uploads: UCS's message alone
    ],
)
def test_a_file_ucs_will_not_serve_is_refused_at_once_with_its_exit_code(tmp_path, latest, code):
    listing = (
        (
            200,
            [
                {"created_at": "2026-01-01T00:00:00Z", "status": "canceled"},
                {"created_at": "2026-02-01T00:00:00Z", **latest},
            ],
            {},
        )
        if latest
        else (403, {"code": 403, "message": "needs upload:F"}, {})
    )
    script = {
        "GET /files/F/download": [(409, {"code": 409, "message": REFUSED}, {})],
        "GET /files/F/multipart_uploads": [listing],
    }
    with scripted_server(script) as ucs:
        result = CliRunner().invoke(
            cli.main,
            ["download", "--file-id", "F", "--api-url", ucs.base_url, "--output", str(tmp_path / "o")],
        )
        assert ucs.count("GET /files/F/download") == 1
    assert result.exit_code == code, result.output
    assert result.output.strip() == f"upload-client: error: {REFUSED}"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_ends_the_wait_at_once():
    stop = threading.Event()
    stop.set()  # as the signal handler does
    ask, calls = not_ready_then([NotReady(409, "validating", 3600)])
    with pytest.raises(Interrupted, match="interrupted while waiting for the verdict") as raised:
        wait_until_ready(ask, "file F", Patience(3600, stop), print)
    assert raised.value.exit_code == 130 and len(calls) == 1

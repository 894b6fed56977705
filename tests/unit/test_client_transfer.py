"""The transfer engine with stub work: splitting, progress counted once, retries, stopping."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.support.client_subscriber import Recorder
from upload_client.config import TransferConfig
from upload_client.exceptions import Interrupted, RetriesExceeded, TransferIncomplete, Transient, UrlRefused
from upload_client.http import check_store_answer
from upload_client.parts import Part, split
from upload_client.subscribers import ByteCounter
from upload_client.transfer import TransferEngine


def fast_engine(**config) -> tuple[TransferEngine, Recorder]:
    recorder = Recorder()
    settings = {"backoff_initial": 0.001, "backoff_max": 0.002, "max_attempts": 3, **config}
    return TransferEngine(TransferConfig(**settings), [recorder]), recorder


def test_split_covers_the_file_with_a_shorter_last_part():
    parts = split(10, 4)
    assert parts == [Part(1, 0, 4), Part(2, 4, 4), Part(3, 8, 2)]
    assert split(8, 4)[-1] == Part(2, 4, 4)
    assert split(3, 4) == [Part(1, 0, 3)]
    assert split(0, 4) == [Part(1, 0, 0)]  # an empty file is one empty part


def test_byte_counter_reports_each_byte_once_across_attempts():
    reported = []
    counter = ByteCounter(reported.append)
    counter.advance(3)
    counter.advance(2)
    counter.restart()  # a retry sends the part again from its start
    counter.advance(4)
    counter.advance(4)
    assert sum(reported) == 8
    assert reported == [3, 2, 3]


def test_transient_failures_are_retried_then_succeed():
    engine, recorder = fast_engine()
    attempts = []

    def attempt():
        attempts.append(1)
        if len(attempts) < 3:
            raise requests.ConnectionError("Connection reset by peer")
        return "etag"

    assert engine.with_retries("part 1", attempt) == "etag"
    assert engine.retries == 2
    assert [r[2] for r in recorder.retries] == [1, 2]


def test_retries_run_out_as_transfer_incomplete_naming_the_last_error():
    engine, _ = fast_engine()

    def attempt():
        raise UrlRefused("part 7: the store refused the presigned URL (403)")

    with pytest.raises(TransferIncomplete, match="part 7 failed 3 times, last: .*403") as raised:
        engine.with_retries("part 7", attempt)
    assert isinstance(raised.value, RetriesExceeded)
    assert isinstance(raised.value.last_exception, UrlRefused)  # the cause, as s3transfer keeps it
    assert raised.value.exit_code == 3


def test_permanent_failures_are_not_retried():
    engine, _ = fast_engine()
    calls = []

    def attempt():
        calls.append(1)
        raise TransferIncomplete("part 2: the store refused it with 400")

    with pytest.raises(TransferIncomplete):
        engine.with_retries("part 2", attempt)
    assert len(calls) == 1


def test_stop_during_backoff_interrupts_at_once():
    engine, _ = fast_engine(backoff_initial=30, backoff_max=30)
    engine.stop.set()
    with pytest.raises(Interrupted):
        engine.with_retries("part 1", lambda: (_ for _ in ()).throw(Transient("busy")))


@pytest.mark.parametrize(("status", "kind"), [(403, UrlRefused), (503, Transient), (429, Transient)])
def test_store_answers_that_deserve_another_attempt(status, kind):
    response = requests.Response()
    response.status_code = status
    with pytest.raises(kind):
        check_store_answer(response, "part 1")


def test_a_client_error_from_the_store_is_final_and_one_line():
    response = requests.Response()
    response.status_code = 400
    response._content = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>EntityTooLarge</Code>\n'
        b"<Message>Your proposed upload exceeds the maximum allowed size</Message></Error>"
    )
    with pytest.raises(
        TransferIncomplete,
        match="^part 1: the store refused it with 400: EntityTooLarge: Your proposed upload exceeds",
    ) as raised:
        check_store_answer(response, "part 1")
    assert "\n" not in str(raised.value)
    response._content = b"<html>\n<body>Bad Request</body>\n</html>"
    with pytest.raises(TransferIncomplete, match="400: <html> <body>Bad Request</body> </html>$"):
        check_store_answer(response, "part 1")


def test_run_returns_results_by_part_number():
    engine, _ = fast_engine(max_concurrency=3)
    results = engine.run(split(10, 3), lambda part: part.size * 10)
    assert results == {1: 30, 2: 30, 3: 30, 4: 10}


def test_the_first_failure_stops_the_other_workers_and_is_raised():
    engine, _ = fast_engine(max_concurrency=2)
    started = threading.Event()

    def work(part):
        if part.number == 1:
            started.wait(5)
            raise TransferIncomplete("part 1 failed 3 times")
        started.set()
        while not engine.stop.wait(0.01):
            pass
        engine.check_stop()

    with pytest.raises(TransferIncomplete, match="part 1"):
        engine.run(split(100, 10), work)
    assert engine.stop.is_set()


def test_a_phase_starts_and_ends_for_the_subscribers_even_when_it_fails():
    engine, recorder = fast_engine()
    with pytest.raises(TransferIncomplete), engine.phase("upload", 100, 40):
        engine.report_progress(10)
        raise TransferIncomplete("part 1 failed 3 times")
    assert recorder.phases == [("upload", 100, 40)]
    assert recorder.events == ["start upload", "done upload"]
    assert recorder.progress_by_phase == {"upload": 10}


def test_run_queues_only_a_few_parts_ahead_of_the_workers():
    # A 10 TiB download has 655,360 ranges: a future for each, made up front, took gigabytes.
    engine, _ = fast_engine(max_concurrency=2)
    pulled = []
    release = threading.Event()
    outcome = {}

    def parts():
        for part in split(1000, 10):
            pulled.append(part.number)
            yield part

    def work(part):
        release.wait(5)
        return part.number * 2

    runner = threading.Thread(target=lambda: outcome.update(engine.run(parts(), work)))
    runner.start()
    threading.Event().wait(0.3)  # both workers are blocked: nothing finishes, so nothing more is queued
    assert pulled == [1, 2, 3, 4]  # two running, two waiting
    release.set()
    runner.join(5)
    assert outcome == {number: number * 2 for number in range(1, 101)}


def test_an_unexpected_requests_error_never_repeats_the_signed_url():
    from upload_client.transfer import unexpected_failure

    url = "http://store.example/b/k?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA"
    failure = unexpected_failure(requests.exceptions.InvalidURL(f"Invalid URL {url!r}: No host supplied"))
    assert "X-Amz-Signature" not in str(failure) and "deadbeef" not in str(failure)
    assert str(failure).startswith("unexpected InvalidURL")

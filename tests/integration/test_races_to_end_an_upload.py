"""Races to end an upload, over real HTTP: a cancel racing a completion, a cancel racing part PUTs, and two
clients failing one upload at once.

The filesystem store is the backend: its presigned URLs point back at the live server.
"""

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.rest import outbox, upload_path
from tests.support.sample_upload import CHUNKS, DATA, store_uploads
from ucs import events
from ucs.storage import StorageUnavailable


def test_a_cancel_racing_a_completion_lets_exactly_one_win(rest, app):
    """The store call of a completion is held open while a cancel arrives: one 204, one 409, one event.

    On SQLite (no row locks) the cancel lands first and the completion's compare-and-set refuses it; on
    PostgreSQL the completion's row lock makes the cancel wait and find the upload uploaded.
    """
    rest.register("race.bam", size=len(DATA))
    upload_id = rest.start("race.bam")["upload_id"]
    parts = rest.put_parts(upload_id, CHUNKS)
    storage = app.extensions["ucs.storage"]
    cancel_answered = threading.Event()
    complete_in_store = storage.complete_multipart_upload

    def slow_complete(*args, **kwargs):
        cancel_answered.wait(timeout=2)
        return complete_in_store(*args, **kwargs)

    storage.complete_multipart_upload = slow_complete
    try:
        with ThreadPoolExecutor(2) as pool:
            completion = pool.submit(rest.complete, upload_id, parts)
            time.sleep(0.3)  # let the completion reach the store first
            cancel = rest.cancel(upload_id)
            cancel_answered.set()
            completion = completion.result()
    finally:
        storage.complete_multipart_upload = complete_in_store

    assert sorted([completion.status_code, cancel.status_code]) == [204, 409]
    if completion.status_code == 409:  # the cancel won: the completion found the store upload aborted
        assert completion.json()["message"] == (
            f"upload {upload_id} became canceled meanwhile (canceled by the client), so it cannot be completed"
        )
    final = rest.expect(200, "GET", upload_path(upload_id)).json()["status"]
    expected_event = events.UPLOAD_RECEIVED if completion.status_code == 204 else events.UPLOAD_CANCELED
    assert final == ("uploaded" if completion.status_code == 204 else "canceled")
    assert [kind for kind, _ in outbox(app)] == [expected_event]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("round_no", range(3))
def test_a_cancel_racing_part_puts_leaves_no_part_behind(rest, app, round_no):
    """Eight clients keep storing parts while the upload is canceled: its directory goes, all of it.

    The abort used to remove the files it had listed while new parts were being renamed in, so it gave up
    half-way (a part gone missing looked like a concurrent abort) and left parts on disk forever.
    """
    rest.register("f-raced")
    upload_id = rest.start("f-raced")["upload_id"]
    urls = [
        rest.expect(200, "POST", upload_path(upload_id, f"/part/{number}/presigned_post")).json()["url"]
        for number in range(1, 9)
    ]
    root = Path(app.config["FILESYSTEM_ROOT"])
    stored = threading.Event()

    def keep_storing(url: str) -> int:
        with requests.Session() as session:
            while True:
                answer = session.put(url, data=b"p" * 256 * 1024, timeout=30)
                if answer.status_code != 200:
                    return answer.status_code
                stored.set()

    with ThreadPoolExecutor(len(urls)) as pool:
        puts = [pool.submit(keep_storing, url) for url in urls]
        assert stored.wait(30)
        time.sleep(0.2)  # parts arriving all the time
        assert rest.cancel(upload_id).status_code == 204
        endings = {put.result(timeout=60) for put in puts}

    assert endings == {404}  # every client was told the upload is gone
    assert store_uploads(app) == []
    left = [str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()]
    assert [path for path in left if not path.startswith(".signing-key")] == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_clients_failing_one_upload_at_once_both_learn_what_happened(rest, app):
    """Two same-size files sent to one upload overwrite each other's parts; both completions are refused.

    The store call of each completion waits for the other, so both pass their status check before
    either fails the upload (SQLite has no row locks to order them). The loser used to read 'upload X
    became failed meanwhile; it cannot become failed'.
    """
    rest.register("f-two-clients")
    upload_id = rest.start("f-two-clients")["upload_id"]
    first, second = [b"1" * 1000, b"1" * 500], [b"2" * 1000, b"2" * 500]
    stored = [rest.put_part(upload_id, 1, first[0]), rest.put_part(upload_id, 2, second[1])]
    listed_by = {
        "first": [stored[0], {"part_no": 2, "etag": hashlib.md5(first[1]).hexdigest()}],
        "second": [{"part_no": 1, "etag": hashlib.md5(second[0]).hexdigest()}, stored[1]],
    }
    storage = app.extensions["ucs.storage"]
    both_read = threading.Barrier(2, timeout=10)
    list_parts = storage.list_parts

    def listed_once_both_have_read(*args):
        both_read.wait()
        return list_parts(*args)

    storage.list_parts = listed_once_both_have_read
    try:
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda parts: rest.complete(upload_id, parts), listed_by.values()))
    finally:
        storage.list_parts = list_parts

    assert [answer.status_code for answer in answers] == [400, 400]
    messages = sorted((answer.json()["message"] for answer in answers), key=len)
    assert messages[0].startswith("ETag mismatch for part")
    assert messages[1].startswith("ETag mismatch for part")
    assert f"meanwhile another request failed upload {upload_id} ({messages[0]})" in messages[1]
    assert "two clients may have been uploading to file 'f-two-clients' at once" in messages[1]
    upload = rest.expect(200, "GET", upload_path(upload_id)).json()
    assert (upload["status"], upload["reason"]) == ("failed", messages[0])
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_FAILED]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_cancel_that_removes_the_object_a_completion_just_joined_wins(rest, app):
    """On SQLite nothing locks the row: the store joins the object, then a cancel ends the upload and
    removes it before the completion records it. The completion learns it lost; nothing is left behind."""
    rest.register("joined-then-canceled", size=len(DATA))
    upload_id = rest.start("joined-then-canceled")["upload_id"]
    parts = rest.put_parts(upload_id, CHUNKS)
    storage = app.extensions["ucs.storage"]
    joined, cancel_answered = threading.Event(), threading.Event()
    complete_in_store = storage.complete_multipart_upload

    def join_then_wait(*args, **kwargs):
        etag = complete_in_store(*args, **kwargs)
        joined.set()
        cancel_answered.wait(timeout=10)
        return etag

    storage.complete_multipart_upload = join_then_wait
    try:
        completion = cancel_while_completing(rest, upload_id, parts, joined, cancel_answered)
    finally:
        storage.complete_multipart_upload = complete_in_store

    assert completion.status_code == 409, completion.text
    assert completion.json()["message"] == (
        f"upload {upload_id} became canceled meanwhile (canceled by the client), so it cannot be completed"
    )
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_CANCELED]
    assert stored_objects(app) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_completion_that_joins_after_a_cancel_removes_the_object(rest, app):
    """The cancel commits while the store's join is under way and finds no object to remove yet (its abort
    failed: the store was briefly unavailable); the completion then loses and removes what it joined."""
    rest.register("canceled-then-joined", size=len(DATA))
    upload_id = rest.start("canceled-then-joined")["upload_id"]
    parts = rest.put_parts(upload_id, CHUNKS)
    storage = app.extensions["ucs.storage"]
    in_store, cancel_answered = threading.Event(), threading.Event()
    complete_in_store, abort_in_store = storage.complete_multipart_upload, storage.abort_multipart_upload

    def wait_then_join(*args, **kwargs):
        in_store.set()
        cancel_answered.wait(timeout=10)
        return complete_in_store(*args, **kwargs)

    def unavailable(*args, **kwargs):
        raise StorageUnavailable("the store is down")

    storage.complete_multipart_upload, storage.abort_multipart_upload = wait_then_join, unavailable
    try:
        completion = cancel_while_completing(rest, upload_id, parts, in_store, cancel_answered)
    finally:
        storage.complete_multipart_upload, storage.abort_multipart_upload = complete_in_store, abort_in_store

    assert completion.status_code == 409, completion.text
    assert rest.expect(200, "GET", upload_path(upload_id)).json()["status"] == "canceled"
    assert stored_objects(app) == []


def cancel_while_completing(rest, upload_id, parts, reached, cancel_answered) -> requests.Response:
    """Complete in a thread; once it has reached the store, cancel (204), then let it go on. Its answer."""
    with ThreadPoolExecutor(1) as pool:
        completion = pool.submit(rest.complete, upload_id, parts)
        assert reached.wait(timeout=10)
        assert rest.cancel(upload_id).status_code == 204
        cancel_answered.set()
        return completion.result()


def stored_objects(app) -> list[str]:
    """The objects the filesystem store holds, by key."""
    objects = Path(app.config["FILESYSTEM_ROOT"]) / "objects"
    return sorted(str(path.relative_to(objects)) for path in objects.rglob("*") if path.is_file())

"""The upload journey and the upload state machine over real HTTP, on SQLite and PostgreSQL.

The filesystem store is the backend: its presigned URLs point back at the live server.
"""

import hashlib
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.rest import outbox, snapshot, upload_path
from ucs import events, life_cycle
from ucs.events import outbox as event_outbox
from ucs.extensions import db
from ucs.models import MultipartUpload, OutboxEvent
from ucs.problems import InvalidTransition
from ucs.storage import StorageUnavailable
from ucs.uploads import UploadStatus

CHUNKS = [b"a" * 1000, b"b" * 1000, b"c" * 500]
DATA = b"".join(CHUNKS)
SHA256 = hashlib.sha256(DATA).hexdigest()


def store_uploads(app) -> list[str]:
    """The multipart uploads the filesystem store still holds (by upload id)."""
    return sorted(path.name for path in (Path(app.config["STORAGE_ROOT"]) / "uploads").iterdir())


def test_journey_register_upload_resume_complete_download(rest, app):
    assert rest.expect(201, "PUT", "/files/sample.bam", json={"size": len(DATA), "sha256": SHA256})
    again = rest.expect(200, "PUT", "/files/sample.bam", json={"size": len(DATA)}).json()
    assert again["size"] == len(DATA) and again["sha256"] == SHA256

    upload = rest.start("sample.bam")
    assert upload["file_id"] == "sample.bam" and upload["status"] == "pending"
    assert upload["part_size"] == 16 * 1024 * 1024
    upload_id = upload["upload_id"]
    pending = rest.expect(200, "GET", "/files/sample.bam/multipart_uploads?status=pending").json()
    assert [u["upload_id"] for u in pending] == [upload_id]

    parts = rest.put_parts(upload_id, CHUNKS[:2])
    # A resuming client learns what the store already holds.
    stored = rest.expect(200, "GET", upload_path(upload_id, "/parts")).json()
    assert stored == [{**part, "size": 1000} for part in parts]
    parts.append(rest.put_part(upload_id, 3, CHUNKS[2]))

    assert rest.complete(upload_id, parts, sha256=SHA256).status_code == 204
    done = rest.expect(200, "GET", upload_path(upload_id)).json()
    assert done["status"] == "uploaded" and done["size"] == len(DATA) and done["etag"].endswith('-3"')
    assert rest.expect(200, "GET", "/files/sample.bam").json()["upload_id"] == upload_id
    assert rest.expect(200, "GET", "/files/sample.bam/multipart_uploads?status=pending").json() == []
    assert store_uploads(app) == []

    download = rest.expect(200, "GET", "/files/sample.bam/download").json()
    assert (download["size"], download["sha256"], download["etag"]) == (len(DATA), SHA256, done["etag"])
    assert requests.get(download["url"], timeout=10).content == DATA
    ranged = requests.get(download["url"], headers={"Range": "bytes=995-1004"}, timeout=10)
    assert ranged.status_code == 206 and ranged.content == DATA[995:1005]

    [(kind, payload)] = outbox(app)
    assert kind == events.UPLOAD_RECEIVED
    assert payload == {
        "file_id": "sample.bam",
        "upload_id": upload_id,
        "backend": "filesystem",
        "bucket": "filesystem",
        "key": payload["key"],
        "size": len(DATA),
        "sha256": SHA256,
        "etag": done["etag"],
        "actor": "staff",
    }
    assert payload["key"].startswith("sample.bam/")


def test_repeated_completion_is_accepted_and_a_conflicting_one_refused(rest, app):
    rest.register("f1")
    upload = rest.start("f1")
    parts = rest.put_parts(upload["upload_id"], CHUNKS)
    assert rest.complete(upload["upload_id"], parts).status_code == 204

    # A client retrying after a lost response gets 204 again, and nothing happens twice.
    assert rest.complete(upload["upload_id"], parts).status_code == 204
    unquoted = [{**part, "etag": part["etag"].strip('"')} for part in parts]
    assert rest.complete(upload["upload_id"], unquoted).status_code == 204

    conflicting = rest.complete(upload["upload_id"], parts[:2])
    assert conflicting.status_code == 409
    assert "uploaded, not pending" in conflicting.json()["message"]
    assert rest.complete(upload["upload_id"], parts, sha256=SHA256).status_code == 409
    assert rest.cancel(upload["upload_id"]).status_code == 409
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_RECEIVED]


@pytest.mark.parametrize("verdict", ["accepted", "rejected"])
def test_a_completion_retried_after_the_verdict_still_succeeds(rest, app, verdict):
    rest.register("f1")
    upload_id = rest.start("f1")["upload_id"]
    parts = rest.put_parts(upload_id, CHUNKS)
    assert rest.complete(upload_id, parts).status_code == 204
    validate(app, upload_id, UploadStatus(verdict))
    assert rest.complete(upload_id, parts).status_code == 204
    assert rest.complete(upload_id, parts[:1]).status_code == 409
    assert rest.expect(200, "GET", upload_path(upload_id)).json()["status"] == verdict
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_RECEIVED]


@pytest.mark.parametrize("spelling", ["cancelled", "canceled"])
def test_cancel_aborts_the_store_upload(rest, app, spelling):
    rest.register("f1")
    upload_id = rest.start("f1")["upload_id"]
    signed = rest.expect(200, "POST", upload_path(upload_id, "/part/2/presigned_post")).json()
    parts = rest.put_parts(upload_id, CHUNKS[:1])
    assert store_uploads(app) == [upload_id]

    assert rest.cancel(upload_id, spelling).status_code == 204
    canceled = rest.expect(200, "GET", upload_path(upload_id)).json()
    assert canceled["status"] == "canceled" and canceled["reason"] == "canceled by the client"
    assert store_uploads(app) == []
    # URLs handed out before the cancel no longer store anything (the store knows no such upload).
    late = requests.put(signed["url"], data=b"late", timeout=10)
    assert late.status_code in (403, 404) and store_uploads(app) == []

    # A repeated cancel changes nothing; everything else needs a pending upload.
    assert rest.cancel(upload_id, spelling).status_code == 204
    for method, suffix in (("GET", "/parts"), ("POST", "/part/1/presigned_post")):
        refused = rest.expect(409, method, upload_path(upload_id, suffix)).json()
        assert refused["message"] == f"upload {upload_id} is canceled, not pending (canceled by the client)"
    assert rest.complete(upload_id, parts).status_code == 409
    assert outbox(app) == [
        (
            events.UPLOAD_CANCELED,
            {"file_id": "f1", "upload_id": upload_id, "reason": "canceled by the client", "actor": "staff"},
        )
    ]


def test_patch_accepts_a_trailing_slash(rest):
    rest.register("f1")
    upload_id = rest.start("f1")["upload_id"]
    parts = rest.put_parts(upload_id, CHUNKS)
    rest.expect(204, "PATCH", upload_path(upload_id, "/"), json={"status": "uploaded", "parts": parts})
    assert rest.expect(200, "GET", upload_path(upload_id)).json()["status"] == "uploaded"


def test_upload_ids_with_url_unsafe_characters(rest, app):
    """Store upload ids are opaque: one with / + = ? % # and a space round-trips percent-encoded."""
    rest.register("f1")
    odd_id = "2~x/y+z=w?q=1&r%41#frag ment"
    with app.app_context():
        db.session.add(
            MultipartUpload(
                s3_upload_id=odd_id, file_id="f1", part_size=5, backend="filesystem", bucket="b", key="f1/k"
            )
        )
        db.session.commit()

    assert rest.expect(200, "GET", upload_path(odd_id)).json()["upload_id"] == odd_id
    listed = rest.expect(200, "GET", "/files/f1/multipart_uploads?status=pending").json()
    assert [u["upload_id"] for u in listed] == [odd_id]
    assert rest.cancel(odd_id).status_code == 204
    assert rest.expect(200, "GET", upload_path(odd_id)).json()["status"] == "canceled"
    unknown = rest.expect(404, "GET", upload_path(odd_id + "/other")).json()
    assert repr(odd_id + "/other") in unknown["message"]


def test_pending_listing_has_zero_or_one_item(rest):
    rest.register("f1")
    pending = "/files/f1/multipart_uploads?status=pending"
    assert rest.expect(200, "GET", pending).json() == []
    first = rest.start("f1")["upload_id"]
    assert [u["upload_id"] for u in rest.expect(200, "GET", pending).json()] == [first]
    assert rest.cancel(first).status_code == 204
    assert rest.expect(200, "GET", pending).json() == []
    second = rest.start("f1")["upload_id"]
    assert [u["upload_id"] for u in rest.expect(200, "GET", pending).json()] == [second]
    everything = rest.expect(200, "GET", "/files/f1/multipart_uploads").json()
    assert sorted(u["upload_id"] for u in everything) == sorted([first, second])
    canceled = rest.expect(200, "GET", "/files/f1/multipart_uploads?status=canceled").json()
    assert [u["upload_id"] for u in canceled] == [first]


def validate(app, upload_id: str, outcome: UploadStatus) -> None:
    """What the event consumer does with a validator's verdict."""
    with app.app_context():
        life_cycle.record_validation(upload_id, outcome, f"validator said {outcome.value}", actor="validator")
        db.session.commit()


def finish_as(rest, app, file_id: str, status: str) -> str:
    """Bring a new upload of file_id into status, through the API (and the consumer's service call)."""
    upload_id = rest.start(file_id)["upload_id"]
    if status == "canceled":
        assert rest.cancel(upload_id).status_code == 204
    elif status == "failed":
        assert rest.complete(upload_id, [{"part_no": 1, "etag": "never-stored"}]).status_code == 400
    elif status != "pending":
        assert rest.complete(upload_id, rest.put_parts(upload_id, CHUNKS)).status_code == 204
        if status != "uploaded":
            validate(app, upload_id, UploadStatus(status))
    assert rest.expect(200, "GET", upload_path(upload_id)).json()["status"] == status
    return upload_id


@pytest.mark.parametrize("status", ["failed", "canceled", "rejected"])
def test_a_new_upload_may_start_after_a_finished_one(rest, app, status):
    rest.register("f1")
    finish_as(rest, app, "f1", status)
    assert rest.start("f1")["status"] == "pending"


@pytest.mark.parametrize("status", ["pending", "uploaded", "accepted"])
def test_no_new_upload_while_one_is_active(rest, app, status):
    rest.register("f1")
    upload_id = finish_as(rest, app, "f1", status)
    before = snapshot(app)
    refused = rest.expect(409, "POST", "/files/f1/multipart_uploads").json()
    assert refused["message"] == f"file 'f1' already has an upload that is {status}: {upload_id}"
    assert snapshot(app) == before


def test_validation_moves_only_uploaded_uploads(rest, app):
    rest.register("f1")
    upload_id = finish_as(rest, app, "f1", "accepted")
    with app.app_context(), pytest.raises(InvalidTransition, match="accepted; it cannot become rejected"):
        life_cycle.record_validation(upload_id, UploadStatus.REJECTED, None, actor="validator")
    rest.register("f2")
    pending_id = finish_as(rest, app, "f2", "pending")
    with app.app_context(), pytest.raises(InvalidTransition, match="pending; it cannot become accepted"):
        life_cycle.record_validation(pending_id, UploadStatus.ACCEPTED, None, actor="validator")


def test_every_status_change_writes_exactly_one_event(rest, app):
    rest.register("f1")
    finish_as(rest, app, "f1", "canceled")
    finish_as(rest, app, "f1", "failed")
    finish_as(rest, app, "f1", "uploaded")
    kinds = [kind for kind, _ in outbox(app)]
    assert kinds == [events.UPLOAD_CANCELED, events.UPLOAD_FAILED, events.UPLOAD_RECEIVED]


def test_status_change_and_event_commit_together(rest, app, monkeypatch):
    """When the event row cannot be written, the status change is rolled back with it."""
    rest.register("f1")
    upload_id = finish_as(rest, app, "f1", "canceled")
    [(_, first_event)] = outbox(app)
    second = rest.start("f1")["upload_id"]
    with app.app_context():
        taken = db.session.scalars(db.select(OutboxEvent.event_id)).one()

    def record_duplicate(event_type, payload):
        event = OutboxEvent(event_id=taken, type=event_type, payload=payload)
        db.session.add(event)
        return event

    monkeypatch.setattr(event_outbox, "record_event", record_duplicate)
    assert rest.cancel(second).status_code == 409
    assert rest.expect(200, "GET", upload_path(second)).json()["status"] == "pending"
    # The store upload survives too, so the client can still finish it.
    assert store_uploads(app) == [second]
    assert outbox(app) == [(events.UPLOAD_CANCELED, first_event)]
    assert first_event["upload_id"] == upload_id


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


def test_a_store_failing_to_abort_does_not_undo_a_recorded_cancel(rest, app):
    """The cancel is committed first; an abort the store then fails only leaves parts behind (logged)."""
    rest.register("f-abort")
    upload_id = rest.start("f-abort")["upload_id"]
    storage = app.extensions["ucs.storage"]
    abort_in_store = storage.abort_multipart_upload

    def unavailable(*args, **kwargs):
        raise StorageUnavailable("the store is down")

    storage.abort_multipart_upload = unavailable
    try:
        assert rest.cancel(upload_id).status_code == 204
    finally:
        storage.abort_multipart_upload = abort_in_store
    assert rest.expect(200, "GET", upload_path(upload_id)).json()["status"] == "canceled"
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_CANCELED]
    assert store_uploads(app) == [upload_id]


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
    root = Path(app.config["STORAGE_ROOT"])
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
def test_a_pending_upload_the_store_lost_is_a_409_that_says_what_to_do(rest, app):
    """Not a 502 a client would retry: no wait brings back an upload the store no longer holds."""
    rest.register("f-lost")
    upload_id = rest.start("f-lost")["upload_id"]
    shutil.rmtree(Path(app.config["STORAGE_ROOT"]) / "uploads" / upload_id)  # as another store root would
    before = snapshot(app)
    for suffix, method in (("/parts", "GET"), ("/part/1/presigned_post", "POST")):
        answer = rest.call(method, upload_path(upload_id, suffix))
        assert answer.status_code == 409, answer.text
        message = answer.json()["message"]
        assert message.startswith(
            f"the object store no longer holds this upload (no multipart upload {upload_id})"
        )
        assert message.endswith("cancel the upload and start a new one")
    assert snapshot(app) == before
    assert rest.cancel(upload_id).status_code == 204  # which the client is told to do


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
@pytest.mark.parametrize(
    "host", ["evil.example.com:80/x?", "a b", "host:port", "user@host", "x#y", "[::1", ""]
)
def test_no_url_is_built_from_a_malformed_host_header(client, host):
    """Without UCS_PUBLIC_URL the store's URLs start with the request's host: evil.example.com:80/x? made
    'http:/storage/objects/...'."""
    client.put("/files/f-host", json={})
    upload_id = client.post("/files/f-host/multipart_uploads").get_json()["upload_id"]
    answer = client.post(upload_path(upload_id, "/part/1/presigned_post"), headers={"Host": host})
    assert answer.status_code == 400
    assert answer.get_json()["message"] == (
        f"the Host header {host!r} is not a host name or address with an optional port, so UCS cannot "
        "build the store's URLs from it (an operator can set UCS_PUBLIC_URL)"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("host", ["ucs.example:8080", "10.0.0.7", "[::1]:5000", "UCS.example."])
def test_a_well_formed_host_header_is_what_the_signed_urls_start_with(client, host):
    client.put("/files/f-host", json={})
    upload_id = client.post("/files/f-host/multipart_uploads", headers={"Host": host}).get_json()["upload_id"]
    signed = client.post(upload_path(upload_id, "/part/1/presigned_post"), headers={"Host": host})
    assert signed.get_json()["url"].startswith(f"http://{host.lower()}/storage/uploads/{upload_id}/1?")

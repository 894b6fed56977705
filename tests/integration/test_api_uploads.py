"""The upload journey and the upload state machine over real HTTP, on SQLite and PostgreSQL.

The filesystem store is the backend: its presigned URLs point back at the live server.
"""

import pytest
import requests

from tests.support.rest import outbox, snapshot, upload_path
from tests.support.sample_upload import CHUNKS, DATA, SHA256, store_uploads
from ucs import events
from ucs.db.base import db
from ucs.db.models import MultipartUpload, OutboxEvent
from ucs.events import outbox as event_outbox
from ucs.operations import life_cycle
from ucs.problems import InvalidTransition
from ucs.uploads import UploadStatus


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
    # The verdict's own event, and nothing from the retried completions.
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_RECEIVED, f"file.upload_{verdict}"]


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

"""Bad input over real HTTP: a 4xx whose message names the problem, and nothing changed anywhere.

"Nothing changed" is checked by comparing every database row, the outbox and the store's files before
and after the request. Completions that contradict the store are the exception the contract makes: the
upload becomes failed, with the reason in the 400 and in one outbox event.
"""

import json

import pytest

from tests.support.rest import checked_rest, outbox, snapshot, upload_path
from ucs import events
from ucs.config import CORE_SETTINGS
from ucs.db.base import db
from ucs.db.models import MultipartUpload
from ucs.settings import Settings
from ucs.uploads import MAX_FILE_SIZE, MAX_PARTS

CHUNKS = [b"a" * 1000, b"b" * 1000, b"c" * 500]
SIZE = sum(len(chunk) for chunk in CHUNKS)
SHA256 = "0" * 64
MALFORMED = {"data": '{"size": ', "headers": {"Content-Type": "application/json"}}
U = "{upload}"  # replaced by the id of the pending upload the setup made

# (method, path, request keyword arguments, status, words the message must contain)
BAD_REQUESTS = [
    # Unknown ids.
    ("GET", "/files/unknown", {}, 404, "file 'unknown' is not registered"),
    ("POST", "/files/unknown/multipart_uploads", {}, 404, "file 'unknown' is not registered"),
    ("GET", "/files/unknown/multipart_uploads", {}, 404, "file 'unknown' is not registered"),
    ("GET", "/files/unknown/download", {}, 404, "file 'unknown' is not registered"),
    ("GET", "/multipart_uploads/unknown", {}, 404, "no multipart upload with id 'unknown'"),
    ("GET", "/multipart_uploads/unknown/parts", {}, 404, "no multipart upload with id 'unknown'"),
    # No upload id holds NUL (PostgreSQL could not even compare one).
    ("GET", "/multipart_uploads/a%00b", {}, 404, "no multipart upload with id 'a\\x00b'"),
    ("PATCH", "/multipart_uploads/a%00b", {"json": {"status": "cancelled"}}, 404, "no multipart upload"),
    ("POST", "/multipart_uploads/unknown/part/1/presigned_post", {}, 404, "no multipart upload"),
    ("PATCH", "/multipart_uploads/unknown", {"json": {"status": "cancelled"}}, 404, "no multipart upload"),
    ("GET", "/files/f1/download", {}, 409, "file 'f1' has no completed upload"),
    # Malformed JSON and wrong types.
    ("PUT", "/files/f2", MALFORMED, 400, "Invalid JSON body"),
    ("POST", "/files/f1/multipart_uploads", MALFORMED, 400, "Invalid JSON body"),
    ("PATCH", f"/multipart_uploads/{U}", MALFORMED, 400, "Invalid JSON body"),
    ("PUT", "/files/f2", {"json": [1, 2]}, 422, "Invalid input type"),
    # A JSON body sent as a form (curl -d's default) would otherwise be ignored: size and checksum lost.
    ("PUT", "/files/f2", {"data": {"size": "5"}}, 415, "(got application/x-www-form-urlencoded)"),
    ("PUT", "/files/f2", {"data": '{"size": 5}'}, 415, "(got no Content-Type)"),
    ("PUT", "/files/f2", {"data": b'{"size": 5}', "headers": {"Content-Type": "text/plain"}}, 415, "as JSON"),
    ("POST", "/files/f1/multipart_uploads", {"data": '{"size": 7}'}, 415, "Content-Type: application/json"),
    # Valid JSON that Python will not turn into a number (more than 4,300 digits).
    (
        "PUT",
        "/files/f2",
        {"data": '{"size": ' + "9" * 5000 + "}", "headers": {"Content-Type": "application/json"}},
        400,
        "the body is not valid JSON",
    ),
    (
        "PUT",
        "/files/f2",
        {"data": "[" * 100_000 + "]" * 100_000, "headers": {"Content-Type": "application/json"}},
        400,
        "nested too deeply",
    ),
    ("PUT", "/files/f2", {"json": {"size": "big"}}, 422, "json.size: Not a valid integer"),
    ("PUT", "/files/f2", {"json": {"size": -1}}, 422, "json.size"),
    ("PUT", "/files/f2", {"json": {"sha256": "xyz"}}, 422, "sha256 must be 64 lowercase hexadecimal"),
    ("PUT", "/files/f2", {"json": {"size": 2**63}}, 422, "size must be a whole number of bytes from 0 to"),
    ("PUT", "/files/f2", {"json": {"size": 10**30}}, 422, "size must be a whole number of bytes from 0 to"),
    ("PUT", "/files/f2", {"json": {"size": 1.5}}, 422, "json.size: Not a valid integer"),
    ("PUT", "/files/a%00b", {"json": {}}, 422, "invalid file_id 'a\\x00b'"),
    ("PUT", "/files/f2", {"json": {"colour": "red"}}, 422, "json.colour: Unknown field"),
    ("POST", "/files/f1/multipart_uploads", {"json": {"size": "x"}}, 422, "json.size: Not a valid integer"),
    ("POST", "/files/f1/multipart_uploads", {"json": {"size": 10**30}}, 422, "size must be a whole number"),
    ("GET", "/files/f1/multipart_uploads?status=done", {}, 422, "query.status: Must be one of"),
    # Rules of the domain.
    ("PUT", "/files/f1", {"json": {"size": 5}}, 409, "its size and checksum cannot change now"),
    ("POST", "/files/f1/multipart_uploads", {}, 409, "file 'f1' already has an upload that is pending"),
    ("POST", "/files/f1/multipart_uploads", {"json": {"size": 7}}, 400, "size 7 differs from the registered"),
    ("POST", "/files/huge/multipart_uploads", {}, 400, "larger than the largest multipart upload"),
    # Part numbers.
    ("POST", f"/multipart_uploads/{U}/part/0/presigned_post", {}, 422, "invalid part_no '0'"),
    ("POST", f"/multipart_uploads/{U}/part/10001/presigned_post", {}, 422, "from 1 to 10000"),
    ("POST", f"/multipart_uploads/{U}/part/-1/presigned_post", {}, 422, "invalid part_no '-1'"),
    ("POST", f"/multipart_uploads/{U}/part/one/presigned_post", {}, 422, "invalid part_no 'one'"),
    ("POST", f"/multipart_uploads/{U}/part/%C2%B2/presigned_post", {}, 422, "invalid part_no '²'"),
    ("POST", f"/multipart_uploads/{U}/part/{'9' * 5000}/presigned_post", {}, 422, "from 1 to 10000"),
    # File ids that could become paths, or are too long.
    ("PUT", "/files/a%2Fb", {"json": {}}, 422, "invalid file_id 'a/b'"),
    ("PUT", "/files/%2E%2E", {"json": {}}, 422, "invalid file_id '..'"),
    ("PUT", "/files/.hidden", {"json": {}}, 422, "not starting with a dot"),
    ("PUT", "/files/a%0Ab", {"json": {}}, 422, "invalid file_id 'a\\nb'"),
    ("PUT", "/files/%2E%2E%2Fetc%2Fpasswd", {"json": {}}, 422, "invalid file_id '../etc/passwd'"),
    ("PUT", "/files/" + "x" * 500, {"json": {}}, 422, "1 to 128 of A-Z a-z 0-9 . _ -"),
    ("GET", "/files/" + "x" * 500, {}, 422, "invalid file_id"),
    ("POST", "/files/a%2F..%2Fb/multipart_uploads", {}, 422, "invalid file_id 'a/../b'"),
    ("GET", "/files/a%20b/multipart_uploads", {}, 422, "invalid file_id 'a b'"),
    ("GET", "/files/%2E%2E/download", {}, 422, "invalid file_id '..'"),
    # Completion bodies that are structurally wrong: 422, and the upload stays pending.
    ("PATCH", f"/multipart_uploads/{U}", {"json": {"status": "done"}}, 422, "status must be one of"),
    ("PATCH", f"/multipart_uploads/{U}", {"json": {"status": "uploaded"}}, 422, "needs the list of parts"),
    ("PATCH", f"/multipart_uploads/{U}", {"json": {}}, 422, "json.status: Missing data"),
    ("PATCH", f"/multipart_uploads/{U}", {"data": "status=cancelled"}, 415, "Content-Type: application/json"),
    (
        "PATCH",
        f"/multipart_uploads/{U}",
        {"json": {"status": "uploaded", "parts": [{"part_no": 2, "etag": "x"}, {"part_no": 1, "etag": "y"}]}},
        422,
        "ascending part_no order",
    ),
    (
        "PATCH",
        f"/multipart_uploads/{U}",
        {"json": {"status": "uploaded", "parts": [{"part_no": 1, "etag": "x"}, {"part_no": 1, "etag": "x"}]}},
        422,
        "each once",
    ),
    (
        "PATCH",
        f"/multipart_uploads/{U}",
        {"json": {"status": "uploaded", "parts": [{"part_no": "1", "etag": "x"}]}},
        422,
        "json.parts.0.part_no: Not a valid integer",
    ),
    (
        "PATCH",
        f"/multipart_uploads/{U}",
        {"json": {"status": "uploaded", "parts": [{"part_no": 0, "etag": "x"}]}},
        422,
        "part_no must be a whole number from 1 to 10000",
    ),
    (
        "PATCH",
        f"/multipart_uploads/{U}",
        {"json": {"status": "uploaded", "parts": [{"part_no": 10001, "etag": "x"}]}},
        422,
        "part_no must be a whole number from 1 to 10000",
    ),
    (
        "PATCH",
        f"/multipart_uploads/{U}",
        {"json": {"status": "uploaded", "parts": [{"part_no": 1}]}},
        422,
        "json.parts.0.etag: Missing data",
    ),
    (
        "PATCH",
        f"/multipart_uploads/{U}",
        {"json": {"status": "uploaded", "parts": {"1": "x"}}},
        422,
        "json.parts: Not a valid list",
    ),
    (
        "PATCH",
        f"/multipart_uploads/{U}",
        {"json": {"status": "uploaded", "parts": [{"part_no": 1, "etag": "x"}], "sha256": "abc"}},
        422,
        "sha256 must be 64 lowercase hexadecimal",
    ),
]


@pytest.fixture
def rest(app, live_url):
    yield from checked_rest(app, live_url)


@pytest.fixture
def pending_upload(rest):
    """f1 (registered with its size and checksum) with a pending upload holding all its parts."""
    rest.expect(201, "PUT", "/files/f1", json={"size": SIZE, "sha256": SHA256})
    rest.expect(201, "PUT", "/files/huge", json={"size": MAX_FILE_SIZE + 1})
    upload_id = rest.start("f1")["upload_id"]
    return upload_id, rest.put_parts(upload_id, CHUNKS)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "words"),
    BAD_REQUESTS,
    ids=[f"{method} {path[:60]} {status}" for method, path, _, status, _ in BAD_REQUESTS],
)
def test_bad_request_is_refused_and_changes_nothing(
    rest, app, pending_upload, method, path, kwargs, status, words
):
    before = snapshot(app)
    response = rest.call(method, path.replace(U, pending_upload[0]), **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status and words in body["message"], body
    assert snapshot(app) == before


LIMIT = Settings(CORE_SETTINGS).defaults()["MAX_JSON_BODY_SIZE"]


def parts_body(count: int, etag: str = "e" * 128) -> bytes:
    parts = [{"part_no": number, "etag": etag} for number in range(1, count + 1)]
    return json.dumps({"status": "uploaded", "parts": parts, "sha256": SHA256}).encode()


def chunks(body: bytes):
    """The body as a generator: requests then sends it chunked, with no Content-Length."""
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


@pytest.mark.parametrize("sent", ["with Content-Length", "chunked"])
@pytest.mark.parametrize("path", ["/files/f2", f"/multipart_uploads/{U}", "/files/f1/multipart_uploads"])
def test_a_body_over_the_limit_is_413_and_changes_nothing(rest, app, pending_upload, path, sent):
    """2,000,000 parts (58 MB) once took 28 s and 5.6 GB to refuse: the body is now refused unread."""
    body = parts_body(200_000, etag="x")
    assert len(body) > LIMIT
    method = {"/files/f2": "PUT", "/files/f1/multipart_uploads": "POST"}.get(path, "PATCH")
    before = snapshot(app)
    response = rest.call(
        method,
        path.replace(U, pending_upload[0]),
        data=body if sent == "with Content-Length" else chunks(body),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text[:300]
    answer = response.json()
    assert (answer["code"], answer["status"]) == (413, "Request Entity Too Large")
    assert f"UCS reads at most {LIMIT} bytes (UCS_MAX_JSON_BODY_SIZE)" in answer["message"]
    assert snapshot(app) == before


def test_the_largest_legal_completion_body_is_read_in_full(rest, pending_upload):
    """10,000 parts with 128-character ETags fit the limit: read, valid, and checked against the store."""
    body = parts_body(MAX_PARTS)
    assert len(body) > 1_500_000
    response = rest.call(
        "PATCH", upload_path(pending_upload[0]), data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text[:300]
    assert (
        response.json()["message"] == "the store holds no part 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 and 9987 more"
    )


def test_a_parts_list_too_long_is_refused_before_its_items_are_checked(rest, app, pending_upload):
    before = snapshot(app)
    body = {"status": "uploaded", "parts": [0] * 500_000}
    response = rest.call("PATCH", upload_path(pending_upload[0]), json=body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["message"] == "invalid request: json.parts: at most 10000 items, not 500000"
    assert answer["errors"] == {"json": {"parts": ["at most 10000 items, not 500000"]}}
    assert snapshot(app) == before


# (how to change the parts the client lists, or the registration; the reason the 400 must give)
STORE_MISMATCHES = [
    (
        "missing part",
        lambda parts: [*parts, {"part_no": 4, "etag": parts[0]["etag"]}],
        "the store holds no part 4",
    ),
    ("gap", lambda parts: [parts[0], parts[2]], "numbered 1..3 without gaps; missing 2"),
    (
        "wrong etag",
        lambda parts: [parts[0], {"part_no": 2, "etag": "0" * 32}, parts[2]],
        "ETag mismatch for part 2",
    ),
    (
        "too few bytes",
        lambda parts: parts[:2],
        f"the parts hold 2000 bytes but the file is registered with {SIZE}",
    ),
]


@pytest.mark.parametrize(
    ("change", "reason"), [(c, r) for _, c, r in STORE_MISMATCHES], ids=[i for i, _, _ in STORE_MISMATCHES]
)
def test_completion_that_contradicts_the_store_fails_the_upload(rest, app, pending_upload, change, reason):
    upload_id, parts = pending_upload
    before = snapshot(app)["store"]
    response = rest.complete(upload_id, change(parts))
    assert response.status_code == 400
    assert reason in response.json()["message"]
    assert_failed(rest, app, upload_id, response.json()["message"], before)


def test_completion_with_another_checksum_fails_the_upload(rest, app, pending_upload):
    upload_id, parts = pending_upload
    before = snapshot(app)["store"]
    response = rest.complete(upload_id, parts, sha256="1" * 64)
    assert response.status_code == 400
    assert response.json()["message"] == f"sha256 {'1' * 64} differs from the registered sha256 {SHA256}"
    assert_failed(rest, app, upload_id, response.json()["message"], before)


def test_completion_of_an_object_of_the_wrong_size_fails(rest, app):
    """The size announced when the upload started counts when the file was registered without one."""
    rest.register("f3")
    upload_id = rest.start("f3", size=SIZE + 1)["upload_id"]
    parts = rest.put_parts(upload_id, CHUNKS)
    before = snapshot(app)["store"]
    response = rest.complete(upload_id, parts)
    assert response.status_code == 400
    assert f"the parts hold {SIZE} bytes but the file is registered with {SIZE + 1} bytes" in response.text
    assert_failed(rest, app, upload_id, response.json()["message"], before, file_id="f3")


def test_completion_of_an_upload_the_store_dropped_fails(rest, app, pending_upload):
    """Stores drop unfinished uploads (lifecycle rules, an operator): completing one fails it, with why."""
    upload_id, parts = pending_upload
    with app.app_context():
        upload = db.session.scalars(db.select(MultipartUpload)).one()
        app.extensions["ucs.storage"].abort_multipart_upload(upload.key, upload_id)
        db.session.remove()
    before = snapshot(app)["store"]
    response = rest.complete(upload_id, parts)
    assert response.status_code == 400
    assert "the store no longer holds this multipart upload" in response.json()["message"]
    assert_failed(rest, app, upload_id, response.json()["message"], before)


def test_completion_the_store_already_finished_is_recorded_not_failed(rest, app, pending_upload):
    """An earlier attempt completed the object but its answer was lost: the retry records the upload."""
    upload_id, parts = pending_upload
    with app.app_context():
        upload = db.session.scalars(db.select(MultipartUpload)).one()
        storage = app.extensions["ucs.storage"]
        etag = storage.complete_multipart_upload(
            upload.key, upload_id, [(p["part_no"], p["etag"]) for p in parts]
        )
        db.session.remove()
    assert rest.complete(upload_id, parts).status_code == 204
    done = rest.expect(200, "GET", upload_path(upload_id)).json()
    assert (done["status"], done["etag"], done["size"]) == ("uploaded", etag, SIZE)
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_RECEIVED]


def assert_failed(rest, app, upload_id, reason, store_before, file_id="f1"):
    """The upload is failed with the reason, one event says so, the store dropped its parts, nothing else."""
    upload = rest.expect(200, "GET", upload_path(upload_id)).json()
    assert (upload["status"], upload["reason"]) == ("failed", reason)
    assert outbox(app) == [
        (
            events.UPLOAD_FAILED,
            {"file_id": file_id, "upload_id": upload_id, "reason": reason, "actor": "staff"},
        )
    ]
    store_after = snapshot(app)["store"]
    assert not any(path.startswith(f"uploads/{upload_id}") for path in store_after)
    assert {path for path in store_after if path not in store_before} == set()
    # The failed attempt is over: the client may start again.
    assert rest.start(file_id)["status"] == "pending"

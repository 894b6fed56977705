"""Metrics, request ids and log lines of the in-process app, over real HTTP, on SQLite and PostgreSQL.

Metrics of one process accumulate over the test session, so each test compares before and after.
"""

import contextlib
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from flask import g
from sqlalchemy import event

from tests.support.log_capture import captured_log
from tests.support.metrics import fetch, parse, scrape, value
from tests.support.processes import free_port
from tests.support.rest import upload_path
from ucs.db import queries
from ucs.db.base import db
from ucs.db.models import MultipartUpload
from ucs.operations import life_cycle, registration
from ucs.uploads import UploadStatus

CHUNKS = [b"a" * 1000, b"b" * 1000, b"c" * 500]
DATA = b"".join(CHUNKS)
UPLOAD_ROUTE = "/multipart_uploads/<path:upload_id>"
PART_URL_ROUTE = "/multipart_uploads/<path:upload_id>/part/<part_no>/presigned_post"
STORE_PART_ROUTE = "/storage/uploads/<upload_id>/<int:part_no>"


class Delta:
    """How much each series grew between two scrapes."""

    def __init__(self, before, after):
        self.before, self.after = before, after

    def __call__(self, name, **labels):
        return value(self.after, name, **labels) - value(self.before, name, **labels)


def test_a_journey_shows_in_the_metrics_and_in_lines_with_one_request_id(rest, live_url):
    before = scrape(live_url)
    with captured_log() as captured:
        rest.register("m.bam", size=len(DATA), sha256=hashlib.sha256(DATA).hexdigest())
        upload_id = rest.start("m.bam")["upload_id"]
        parts = rest.put_parts(upload_id, CHUNKS)
        body = {"status": "uploaded", "parts": parts}
        completed = rest.call("PATCH", upload_path(upload_id), json=body, headers={"X-Request-ID": "trace-1"})
    after = scrape(live_url)
    delta = Delta(before, after)

    assert completed.status_code == 204 and completed.headers["X-Request-ID"] == "trace-1"
    assert delta("ucs_uploads_total", status="pending") == 1
    assert delta("ucs_uploads_total", status="uploaded") == 1
    assert delta("ucs_uploaded_bytes_total") == len(DATA)
    assert delta("ucs_http_requests_total", method="PATCH", route=UPLOAD_ROUTE, status="204") == 1
    assert delta("ucs_http_requests_total", method="POST", route=PART_URL_ROUTE, status="200") == 3
    assert delta("ucs_http_request_duration_seconds_count", method="PUT", route=STORE_PART_ROUTE) == 3
    storage = {"backend": "filesystem", "operation": "complete_multipart_upload"}
    assert delta("ucs_storage_request_duration_seconds_count", **storage) == 1
    assert delta("ucs_storage_errors_total", **storage) == 0
    # The completion's event waits in the outbox: no relay runs here.
    assert value(after, "ucs_outbox_pending_events") == 1
    assert value(after, "ucs_outbox_oldest_pending_seconds") > 0
    assert not any(upload_id in str(labels) or "m.bam" in str(labels) for _, labels in after)

    [request_line] = captured.find("ucs.requests", request_id="trace-1")
    assert request_line["route"] == UPLOAD_ROUTE and request_line["upload_id"] == upload_id
    assert request_line["method"] == "PATCH" and request_line["status"] == 204
    assert request_line["duration_seconds"] > 0
    [change] = captured.find("ucs.status_changes", upload_status="uploaded")
    assert change["request_id"] == "trace-1" and change["file_id"] == "m.bam"
    # Access control's audit: the change names who made it (the fixtures' staff token).
    assert change["subject"] == "staff" and change["message"].endswith("pending -> uploaded by staff")
    assert len(captured.find("ucs.requests", route=STORE_PART_ROUTE)) == 3


def test_a_store_failure_is_counted_and_logged_with_the_request_id(rest, live_url, app):
    rest.register("f-down")
    shutil.rmtree(Path(app.config["FILESYSTEM_ROOT"]) / "uploads")  # the store can no longer write
    before = scrape(live_url)
    with captured_log() as captured:
        headers = {"X-Request-ID": "trace-2"}
        refused = rest.call("POST", "/files/f-down/multipart_uploads", json={}, headers=headers)
    delta = Delta(before, scrape(live_url))

    assert refused.status_code == 503 and refused.headers["X-Request-ID"] == "trace-2"
    store = {"backend": "filesystem", "operation": "create_multipart_upload"}
    assert delta("ucs_storage_errors_total", **store) == 1
    assert delta("ucs_uploads_total", status="pending") == 0
    [error_line] = captured.find("ucs.instrumented_storage", **store)
    assert error_line["request_id"] == "trace-2" and error_line["level"] == "WARNING"
    [request_line] = captured.find("ucs.requests", request_id="trace-2")
    assert (request_line["status"], request_line["file_id"]) == (503, "f-down")


def test_request_ids_are_kept_when_sane_made_otherwise_and_unmatched_requests_are_one_series(rest, live_url):
    before = scrape(live_url)
    kept = rest.call("GET", "/files/nope", headers={"X-Request-ID": "4bf92f3577b34da6a3ce929d0e0e4736"})
    replaced = rest.call("GET", "/no/such/path/123", headers={"X-Request-ID": "x" * 200})
    odd_method = rest.call("BREW", "/files/nope")
    delta = Delta(before, scrape(live_url))

    assert kept.status_code == 404 and kept.headers["X-Request-ID"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert replaced.status_code == 404 and len(replaced.headers["X-Request-ID"]) == 32
    assert odd_method.status_code == 405 and len(odd_method.headers["X-Request-ID"]) == 32
    # Neither a raw path nor a made-up method becomes a label value.
    assert delta("ucs_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert delta("ucs_http_requests_total", method="other", route="unmatched", status="405") == 1


def test_the_subject_of_an_authenticated_request_is_in_its_line_and_nowhere_in_the_metrics(
    app, rest, live_url
):
    subjects = []

    @app.after_request  # runs before UCS's own, which writes the line
    def note_subject(response):
        # Access control puts the token's subject in g.ucs_subject; without it, as it would.
        subjects.append(g.setdefault("ucs_subject", "alice@example.org"))
        return response

    with captured_log() as captured:
        rest.call("GET", "/files/nope", headers={"X-Request-ID": "trace-3"})
    [line] = captured.find("ucs.requests", request_id="trace-3")
    assert subjects and line["subject"] == subjects[0]
    assert subjects[0] not in fetch(live_url).text


def test_metrics_answer_in_the_format_asked_and_in_text_for_an_accept_header_they_cannot_read(live_url):
    openmetrics = fetch(live_url, accept="application/openmetrics-text; version=1.0.0")
    assert openmetrics.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    assert openmetrics.text.endswith("# EOF\n")
    odd = fetch(live_url, accept="text/plain; version=abc")
    assert odd.status_code == 200 and odd.headers["Content-Type"].startswith("text/plain; version=0.0.4")


def test_metrics_still_answer_while_the_database_is_down(make_app):
    down = make_app(DATABASE_URL=f"postgresql+psycopg://ucs:pw@127.0.0.1:{free_port()}/ucs")
    with captured_log() as captured:
        answer = down.test_client().get("/metrics")
    samples = parse(answer.get_data(as_text=True))
    assert answer.status_code == 200 and ("ucs_uploaded_bytes_total", frozenset()) in samples
    assert not any(name.startswith("ucs_outbox") for name, _ in samples)
    assert captured.find("ucs.metrics_endpoint", level="WARNING")


def test_a_status_change_rolled_back_is_not_counted(app, live_url):
    with app.app_context():
        registration.register_file("f-rollback", None, None)
        db.session.add(pending_upload("u-rolled-back"))
        db.session.commit()
        before = scrape(live_url)
        life_cycle.change_status(queries.get_upload("u-rolled-back"), UploadStatus.CANCELED, "tester")
        db.session.rollback()
        rolled_back = scrape(live_url)
        life_cycle.change_status(queries.get_upload("u-rolled-back"), UploadStatus.CANCELED, "tester")
        db.session.commit()
        db.session.remove()
    assert Delta(before, rolled_back)("ucs_uploads_total", status="canceled") == 0
    assert Delta(rolled_back, scrape(live_url))("ucs_uploads_total", status="canceled") == 1


def test_a_status_change_is_one_update_and_one_line_naming_who_made_it(app):
    with app.app_context():
        registration.register_file("f-one-update", None, None)
        db.session.add(pending_upload("u-one-update", "f-one-update"))
        db.session.commit()
        upload = queries.get_upload("u-one-update")
        with captured_log() as captured, statements(db.engine) as executed:
            life_cycle.change_status(upload, UploadStatus.CANCELED, "carol", reason="gone")
            db.session.commit()
        db.session.remove()
    assert len([sql for sql in executed if sql.startswith("UPDATE multipart_uploads")]) == 1
    [line] = captured.find("ucs.status_changes", upload_id="u-one-update")
    assert line["message"].endswith("pending -> canceled by carol") and line["subject"] == "carol"


def test_importing_the_status_change_log_listens_to_no_session():
    # The listener is registered by init_app (ucs.observability.wiring), never as a side effect of an import.
    code = (
        "import ucs.observability.status_changes, ucs.operations.life_cycle\n"
        "from ucs.db.base import db\n"
        "dispatch = db.session.session_factory().dispatch\n"
        "print(len(dispatch.after_commit), len(dispatch.before_flush), len(dispatch.after_transaction_end))"
    )
    listened = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert listened.returncode == 0, listened.stderr
    assert listened.stdout.split() == ["0", "0", "0"]


@contextlib.contextmanager
def statements(engine):
    """The SQL the engine sends while the block runs."""
    executed: list[str] = []

    def note(_connection, _cursor, statement, *_):
        executed.append(statement.strip())

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield executed
    finally:
        event.remove(engine, "before_cursor_execute", note)


def pending_upload(upload_id: str, file_id: str = "f-rollback") -> MultipartUpload:
    return MultipartUpload(
        s3_upload_id=upload_id,
        file_id=file_id,
        upload_status=UploadStatus.PENDING,
        part_size=1,
        backend="filesystem",
        bucket="filesystem",
        key=f"{file_id}/{upload_id}",
    )

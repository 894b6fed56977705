"""Requests that fail as they end, on PostgreSQL: the log line and the metrics count what the client got.

A connection terminated (pg_terminate_backend) after the commit: the request answers its real status,
though the session's closing ROLLBACK fails on the dead connection. Before the commit: the JSON 503. A
teardown function that raises: the JSON 500, counted as such, not the server's HTML page.
"""

from __future__ import annotations

import pytest
import requests
from flask import has_request_context, request
from sqlalchemy import create_engine, event, text

from tests.support.databases import empty_tables
from tests.support.log_capture import captured_log
from tests.support.metrics import scrape, value
from tests.support.tokens import bearer
from ucs.db.base import db

pytestmark = pytest.mark.postgres

LOSE_AFTER_COMMIT = "X-Test-Lose-Connection-After-Commit"
LOSE_BEFORE_COMMIT = "X-Test-Lose-Connection-Before-Commit"
FAIL_TEARDOWN = "X-Test-Fail-Teardown"
ROUTE = "/files/<path:file_id>"


@pytest.fixture
def terminate(postgres_url):
    """Terminate a server process from an admin connection, waiting until it is gone."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")

    def terminate_backend(pid: int) -> None:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}).scalar()

    yield terminate_backend
    admin.dispose()


@pytest.fixture
def app(make_app, postgres_url, terminate):
    app = make_app(DATABASE_URL=postgres_url)
    empty_tables(app)

    @app.after_request
    def lose_the_connection_after_commit(response):
        if LOSE_AFTER_COMMIT in request.headers:
            # A read after the commit (serialising what was saved, say) opens a new transaction, which the
            # session rolls back when the request ends: on a connection that is then gone.
            terminate(db.session.execute(text("SELECT pg_backend_pid()")).scalar())
        return response

    def lose_the_connection_before_commit(session):
        if has_request_context() and LOSE_BEFORE_COMMIT in request.headers:
            terminate(session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar())

    @app.teardown_request
    def fail_the_teardown(exc):
        if FAIL_TEARDOWN in request.headers:
            raise RuntimeError("a teardown function failed")

    event.listen(db.session, "before_commit", lose_the_connection_before_commit)
    yield app
    event.remove(db.session, "before_commit", lose_the_connection_before_commit)


def register(live_url: str, file_id: str, header: str):
    """Register file_id with a test header; returns the answer, the requests ucs_http_requests_total gained
    by status, the request's log line, and the whole log."""
    before = scrape(live_url)
    with captured_log() as log:
        answer = requests.put(
            f"{live_url}/files/{file_id}", json={"size": 10}, headers={**bearer(), header: "1"}, timeout=30
        )
    after = scrape(live_url)
    gained = {status: counted(after, status) - counted(before, status) for status in (201, 500, 503)}
    [line] = log.find("ucs.requests", route=ROUTE, file_id=file_id)
    return answer, gained, line, log


def counted(samples, status: int) -> float:
    return value(samples, "ucs_http_requests_total", method="PUT", route=ROUTE, status=str(status))


def registered(live_url: str, file_id: str) -> bool:
    answer = requests.get(f"{live_url}/files/{file_id}", headers=bearer(), timeout=30)
    assert answer.status_code in (200, 404), answer.text
    return answer.status_code == 200


def test_a_connection_lost_after_the_commit_answers_the_real_status(app, live_url):
    answer, gained, line, log = register(live_url, "committed", LOSE_AFTER_COMMIT)

    assert answer.status_code == 201, answer.text
    assert answer.json()["file_id"] == "committed"
    assert gained == {201: 1, 500: 0, 503: 0}
    assert (line["status"], line["request_id"]) == (201, answer.headers["X-Request-ID"])
    [closing] = log.find("ucs.db.base")
    assert closing["message"].startswith(
        "closing the request's database session failed: terminating connection"
    )
    assert registered(live_url, "committed")


def test_a_connection_lost_before_the_commit_answers_the_json_503_and_counts_it(app, live_url):
    answer, gained, line, _ = register(live_url, "never-committed", LOSE_BEFORE_COMMIT)

    assert answer.status_code == 503, answer.text
    assert answer.json() == {
        "code": 503,
        "status": "Service Unavailable",
        "message": "the database is unavailable; retry in a moment",
    }
    assert gained == {201: 0, 500: 0, 503: 1}
    assert line["status"] == 503
    assert not registered(live_url, "never-committed")


def test_a_teardown_that_raises_answers_the_json_500_and_counts_it(app, live_url):
    answer, gained, line, _ = register(live_url, "torn-down", FAIL_TEARDOWN)

    assert answer.status_code == 500, answer.text
    assert answer.json()["message"] == (
        "internal error after the request was handled: it may have taken effect; check before retrying"
    )
    assert gained == {201: 0, 500: 1, 503: 0}
    assert (line["status"], line["request_id"]) == (500, answer.headers["X-Request-ID"])

"""/health: 200 when the database and the store answer, 503 naming the part that does not."""

import shutil

import pytest

from tests.support.databases import read_only
from tests.support.live_server import serving
from tests.support.processes import free_port
from tests.support.rest import Rest, snapshot
from tests.support.tokens import bearer


def test_healthy(rest):
    assert rest.expect(200, "GET", "/health").json() == {
        "status": "ok",
        "database": "ok",
        "storage": "ok",
        "auth": "enabled",
    }


def test_unreachable_database_is_503_without_its_password(make_app):
    # Nothing listens on a free port: the connection is refused at once.
    app = make_app(DATABASE_URL=f"postgresql+psycopg://ucs:s3cret@127.0.0.1:{free_port()}/ucs")
    response = app.test_client().get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["storage"] == "ok"
    assert body["database"].startswith("unavailable: ")
    assert "s3cret" not in response.get_data(as_text=True)


def test_any_request_while_the_database_is_unreachable_is_503_not_500(make_app):
    app = make_app(DATABASE_URL=f"postgresql+psycopg://ucs:s3cret@127.0.0.1:{free_port()}/ucs")
    response = app.test_client().get("/files/f1", headers=bearer())
    assert response.status_code == 503
    assert response.get_json()["message"] == "the database is unavailable; retry in a moment"
    assert "s3cret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unusable_store_is_503(app):
    shutil.rmtree(app.config["FILESYSTEM_ROOT"])
    response = app.test_client().get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["database"]) == ("unavailable", "ok")
    assert "not writable" in body["storage"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_starting_an_upload_on_a_vanished_store_is_503_and_changes_nothing(rest, app):
    rest.register("f1")
    shutil.rmtree(app.config["FILESYSTEM_ROOT"])
    before = snapshot(app)
    refused = rest.expect(503, "POST", "/files/f1/multipart_uploads").json()
    assert refused["message"].startswith("the object store is unavailable: cannot write to the storage root")
    assert snapshot(app) == before


def test_a_read_only_database_is_unhealthy_and_its_refusals_do_not_say_retry(make_app, sqlite_url):
    app = make_app(DATABASE_URL=read_only(sqlite_url))
    with serving(app, free_port()) as url:
        rest = Rest(url)
        health = rest.call("GET", "/health")
        refused = rest.call("PUT", "/files/f1", json={"size": 3})
        unknown = rest.call("GET", "/files/f1")

    assert health.status_code == 503
    report = health.json()
    assert (report["status"], report["database"], report["storage"]) == (
        "unavailable",
        "read-only: it refuses writes",
        "ok",
    )
    assert refused.status_code == 503
    assert refused.json()["message"] == (
        "the database does not accept writes (it is read-only); an operator has to fix this"
    )
    assert unknown.status_code == 404  # reads still work, and nothing was written

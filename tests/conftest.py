"""Fixtures shared by every tier: apps on SQLite and PostgreSQL, a test client, a live HTTP server."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.support.apps import build_app
from tests.support.databases import empty_tables, migrate, postgres_database
from tests.support.processes import free_port
from tests.support.rest import checked_rest
from tests.support.tokens import staff_client
from ucs.db.base import db


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    with postgres_database(str(tmp_path_factory.mktemp("pg-instance"))) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """One SQLite file migrated to the latest revision; each test gets a copy (migrating takes longer)."""
    work = tmp_path_factory.mktemp("sqlite-template")
    migrate(f"sqlite:///{work}/ucs.sqlite3", str(work / "instance"))
    return work / "ucs.sqlite3"


@pytest.fixture
def sqlite_url(tmp_path, migrated_sqlite):
    shutil.copyfile(migrated_sqlite, tmp_path / "ucs.sqlite3")
    return f"sqlite:///{tmp_path}/ucs.sqlite3"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request):
    """Each test using this runs twice: on a fresh SQLite file and on the session's PostgreSQL database."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def make_app(tmp_path):
    """Build apps with test settings; keyword arguments override them."""
    apps = []

    def make(**settings):
        app = build_app(tmp_path / "instance", **{"FILESYSTEM_ROOT": str(tmp_path / "storage"), **settings})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app, database_url):
    app = make_app(DATABASE_URL=database_url)
    empty_tables(app)
    return app


@pytest.fixture
def client(app):
    """A test client whose requests carry a staff token (tests of access control set their own)."""
    return staff_client(app)


@pytest.fixture
def rest(app, live_url):
    """A REST client on the live server; afterwards every status it saw must be documented in /openapi.json."""
    yield from checked_rest(app, live_url)


@pytest.fixture
def live_url(app):
    """Serve the app over real HTTP on a free loopback port for the length of the test."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    # A short poll interval lets shutdown() return at once instead of after half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join()

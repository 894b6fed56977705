"""Migrations from empty on both databases, and servers that refuse a database that is not migrated."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import requests
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.support.apps import build_app
from tests.support.databases import POSTGRES_ADMIN, read_only
from tests.support.processes import VENV_BIN, free_port
from tests.support.rest import Rest
from tests.support.tokens import bearer
from tests.support.ucs_server import ucs_server
from ucs.db.base import db
from ucs.db.schema import DatabaseReadOnly, DatabaseUnreachable, SchemaNotCurrent

TABLES = {"files", "multipart_uploads", "outbox_events", "processed_events"}


@contextlib.contextmanager
def empty_postgres() -> Iterator[str]:
    """A new PostgreSQL database with no tables, dropped afterwards."""
    name = f"ucs_empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres:not-a-secret@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.sqlite3"
    else:
        with empty_postgres() as url:
            yield url


def ucs_command(args: list[str], tmp_path, database_url: str | None, timeout: float = 60):
    """Run the ucs command (or another console script of the venv) with a clean UCS_* environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCS_")}
    env.update({"UCS_INSTANCE_PATH": str(tmp_path / "instance"), "UCS_LOAD_ENTRY_POINTS": "false"})
    env["UCS_FILESYSTEM_ROOT"] = str(tmp_path / "storage")
    if database_url:
        env["UCS_DATABASE_URL"] = database_url
    return subprocess.run(
        [str(VENV_BIN / args[0]), *args[1:]], env=env, capture_output=True, text=True, timeout=timeout
    )


@contextlib.contextmanager
def inspected(database_url: str):
    """An inspector of the database and the connection it reads through."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            yield sa.inspect(connection), connection
    finally:
        engine.dispose()


def test_upgrade_from_empty_creates_the_design_schema_and_downgrade_removes_it(empty_database, tmp_path):
    upgraded = ucs_command(["ucs", "db", "upgrade"], tmp_path, empty_database)
    assert upgraded.returncode == 0, upgraded.stderr

    with inspected(empty_database) as (inspector, connection):
        assert set(inspector.get_table_names()) >= TABLES
        file_columns = {c["name"] for c in inspector.get_columns("files")}
        assert {"file_id", "s3_upload_id", "size", "sha256", "created_at", "updated_at"} <= file_columns
        assert "upload_status" not in file_columns
        upload_columns = {c["name"] for c in inspector.get_columns("multipart_uploads")}
        assert {"started_by", "ended_by"} <= upload_columns
        assert inspector.get_pk_constraint("multipart_uploads")["constrained_columns"] == ["s3_upload_id"]
        indexes = {i["name"]: i for i in inspector.get_indexes("multipart_uploads")}
        assert not indexes["ix_multipart_uploads_file_id"]["unique"]
        assert indexes["uq_multipart_uploads_one_active_per_file"]["unique"]
        assert_partial_index_enforced(connection)

    # Reverting is for developers, through Flask's command (`ucs db` offers operators no downgrade).
    downgraded = ucs_command(["flask", "--app", "ucs", "db", "downgrade", "base"], tmp_path, empty_database)
    assert downgraded.returncode == 0, downgraded.stderr
    with inspected(empty_database) as (inspector, _):
        assert set(inspector.get_table_names()) & TABLES == set()


def assert_partial_index_enforced(connection) -> None:
    """The database itself keeps one pending/uploaded/accepted upload per file; finished ones may pile up."""
    now = sa.func.now() if connection.dialect.name == "postgresql" else sa.text("CURRENT_TIMESTAMP")
    files = sa.table("files", sa.column("file_id"), sa.column("created_at"), sa.column("updated_at"))
    uploads = sa.table(
        "multipart_uploads",
        *(sa.column(name) for name in ("s3_upload_id", "file_id", "upload_status", "part_size")),
        *(sa.column(name) for name in ("backend", "bucket", "key", "created_at", "updated_at")),
    )
    connection.execute(sa.insert(files).values(file_id="f", created_at=now, updated_at=now))

    def add(upload_id: str, status: str) -> None:
        values = {"s3_upload_id": upload_id, "file_id": "f", "upload_status": status, "part_size": 1}
        values |= {"backend": "b", "bucket": "b", "key": "k", "created_at": now, "updated_at": now}
        with connection.begin_nested():
            connection.execute(sa.insert(uploads).values(**values))

    for number, status in enumerate(["canceled", "failed", "rejected", "canceled", "pending"]):
        add(f"u{number}", status)
    for status in ("pending", "uploaded", "accepted"):
        with pytest.raises(sa.exc.IntegrityError):
            add(f"second-{status}", status)
    with pytest.raises(sa.exc.IntegrityError):  # the enum's CHECK constraint
        add("odd", "done")
    connection.rollback()


def test_models_and_migrations_agree(empty_database, tmp_path):
    assert ucs_command(["ucs", "db", "upgrade"], tmp_path, empty_database).returncode == 0
    app = build_app(tmp_path, tokens=False, testing=False, DATABASE_URL=empty_database)
    with app.app_context():
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert differences == []


@pytest.mark.postgres
def test_servers_refuse_an_unmigrated_database(tmp_path):
    with empty_postgres() as url:
        app = build_app(tmp_path, tokens=False, testing=False, DATABASE_URL=url)
        with pytest.raises(SchemaNotCurrent) as refused:
            build_app(tmp_path, tokens=False, testing=False, check_schema=True, DATABASE_URL=url)
        message = str(refused.value)
        assert "schema revision none (empty)" in message and "run `ucs db upgrade` first" in message
        assert "not-a-secret" not in message and "***" in message
        with app.app_context():
            db.engine.dispose()

        run = ucs_command(["ucs", "run", "--port", str(free_port())], tmp_path, url)
        assert run.returncode != 0
        assert "run `ucs db upgrade` first" in run.stderr and "Traceback" not in run.stderr

        port = free_port()
        gunicorn = ucs_command(
            ["gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "ucs.wsgi:app"], tmp_path, url
        )
        assert gunicorn.returncode != 0
        assert "UCS cannot start" in gunicorn.stderr and "run `ucs db upgrade` first" in gunicorn.stderr
        assert "not-a-secret" not in gunicorn.stderr

        # The production server and the event commands (they read and write the outbox) refuse the same way.
        serve = ["ucs", "serve", "--bind", f"127.0.0.1:{free_port()}"]
        for command in (serve, ["ucs", "events", "list"], ["ucs", "events", "relay", "--once"]):
            refused = ucs_command(command, tmp_path, url)
            assert refused.returncode == 1, command
            assert "run `ucs db upgrade` first" in refused.stderr and "Traceback" not in refused.stderr


def test_the_embedded_default_migrates_itself(tmp_path):
    with ucs_server(tmp_path / "instance") as server:
        assert requests.get(f"{server.url}/health", timeout=10).json()["database"] == "ok"
        registered = requests.put(f"{server.url}/files/f1", json={"size": 3}, headers=bearer(), timeout=10)
        assert registered.status_code == 201
    with inspected(f"sqlite:///{tmp_path}/instance/ucs.sqlite3") as (inspector, _):
        assert set(inspector.get_table_names()) >= TABLES


def test_ucs_error_logs_survive_the_embedded_default_migrating_itself(tmp_path):
    """alembic's env.py configures logging from alembic.ini; that must not switch off UCS's own loggers."""
    storage = tmp_path / "storage"
    with ucs_server(tmp_path / "instance", FILESYSTEM_ROOT=str(storage)) as server:
        rest = Rest(server.url)
        rest.register("f1")
        shutil.rmtree(storage)
        refused = rest.call("POST", "/files/f1/multipart_uploads")
        assert refused.status_code == 503
    assert "database: migrated from schema revision none (empty)" in server.log.read_text()  # it did
    assert "ucs.errors: object store error: cannot write to the storage root" in server.log.read_text()


def test_servers_refuse_a_read_only_database_in_one_line(sqlite_url, tmp_path):
    """Tested with the migrated SQLite file opened read-only (mode=ro): writes fail as on a read-only mount."""
    url = read_only(sqlite_url)
    with pytest.raises(
        DatabaseReadOnly, match="does not accept writes .*readonly database.*UCS needs to write"
    ):
        build_app(tmp_path, tokens=False, testing=False, check_schema=True, DATABASE_URL=url)
    run = ucs_command(["ucs", "run", "--port", str(free_port())], tmp_path, url)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "Error: the database at sqlite:///file" in run.stderr and "does not accept writes" in run.stderr


def test_servers_refuse_an_unreachable_database_in_one_line(tmp_path):
    url = f"postgresql+psycopg://ucs:not-a-secret@127.0.0.1:{free_port()}/ucs"
    with pytest.raises(DatabaseUnreachable, match="cannot reach the database at postgresql"):
        build_app(tmp_path, tokens=False, testing=False, check_schema=True, DATABASE_URL=url)
    for command in (
        ["ucs", "run", "--port", str(free_port())],
        ["ucs", "db", "upgrade"],
        ["ucs", "db", "current"],
    ):
        run = ucs_command(command, tmp_path, url)
        assert run.returncode != 0 and "Traceback" not in run.stderr, command
        [line] = run.stderr.strip().splitlines()
        assert line.startswith("Error: cannot reach the database at postgresql+psycopg://ucs:***@127.0.0.1")
        assert "Connection refused" in line and "not-a-secret" not in line

"""Test databases: a migrated SQLite file per test, or one PostgreSQL database per session, emptied per test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg
from flask_migrate import upgrade
from sqlalchemy import text

from tests.support.apps import build_app
from ucs.db.base import db
from ucs.db.schema import MIGRATIONS_DIR

POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
TABLES = ("outbox_events", "processed_events", "multipart_uploads", "files")


def migrate(database_url: str, instance_path: str) -> None:
    app = build_app(instance_path, tokens=False, testing=False, DATABASE_URL=database_url)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        db.engine.dispose()


@contextlib.contextmanager
def postgres_database(instance_path: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    name = f"ucs_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        migrate(url, instance_path)
        yield url
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def read_only(sqlite_url: str) -> str:
    """The same SQLite file opened read-only (mode=ro): to UCS, what a read-only file or mount looks like."""
    return f"sqlite:///file:{sqlite_url.removeprefix('sqlite:///')}?mode=ro&uri=true"


def empty_tables(app) -> None:
    with app.app_context():
        for table in TABLES:
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()

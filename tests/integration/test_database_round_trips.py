"""What the request path asks of the database: read-only requests without a transaction, pings only for
connections that sat idle, times aware and in UTC (ucs/db/read_only.py, ucs/db/pool_checks.py,
ucs/db/types.py), on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from ucs.db.base import db
from ucs.db.models import File
from ucs.db.pool_checks import ping_idle_connections
from ucs.db.read_only import read_only


def driver_autocommits() -> bool:
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        return connection.connection.dbapi_connection.isolation_level is None  # how sqlite3 says autocommit
    return connection.connection.dbapi_connection.autocommit  # psycopg


def test_a_read_only_view_runs_outside_a_transaction_and_the_next_request_inside_one(app):
    with app.test_request_context():
        assert read_only(driver_autocommits)() is True
    with app.test_request_context():
        # The connection went back to the pool in its default mode: writes are transactional again.
        assert driver_autocommits() is False


def test_a_read_only_view_that_writes_is_refused_and_nothing_is_stored(app):
    def writes():
        db.session.add(File(file_id="written-by-a-reader", size=1))
        db.session.commit()

    with app.test_request_context(), pytest.raises(RuntimeError, match="read-only request tried to write"):
        read_only(writes)()
    with app.app_context():
        assert db.session.get(File, "written-by-a-reader") is None


def test_times_come_back_aware_and_in_utc_whatever_zone_they_were_written_in(app):
    written = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    with app.app_context():
        db.session.add(File(file_id="timed", size=1, created_at=written))
        db.session.commit()
    with app.app_context():
        if db.session.connection().dialect.name == "postgresql":
            # timestamptz answers in the session's zone: UCS's columns answer in UTC regardless.
            db.session.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
        by_orm = db.session.get(File, "timed").created_at
        by_core = db.session.execute(select(func.min(File.created_at))).scalar_one()
    for read in (by_orm, by_core):
        assert read == written
        assert read.tzinfo is UTC, read
        assert read.isoformat() == "2026-03-01T10:30:00+00:00"


@pytest.mark.postgres
def test_a_connection_killed_while_idle_is_replaced_before_use(make_app, postgres_url):
    app = make_app(DATABASE_URL=postgres_url)
    with app.app_context():
        ping_idle_connections(db.engine, idle_before_ping=0.0)  # every checkout counts as idle
        first = _backend_pid(db.engine)
        _terminate(postgres_url, first)
        assert _backend_pid(db.engine) != first  # no error: the dead connection was swapped at checkout


@pytest.mark.postgres
def test_a_connection_killed_right_after_use_fails_one_query_then_the_pool_recovers(make_app, postgres_url):
    app = make_app(DATABASE_URL=postgres_url)
    with app.app_context():
        first = _backend_pid(db.engine)
        _terminate(postgres_url, first)
        # Within the idle window nobody pings: the query fails (the API answers 503) ...
        with pytest.raises(OperationalError):
            _backend_pid(db.engine)
        # ... and SQLAlchemy has dropped the pool, so the next checkout gets a live connection.
        assert _backend_pid(db.engine) != first


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(url: str, pid: int) -> None:
    other = create_engine(url, poolclass=NullPool)
    with other.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    other.dispose()

"""Check that the database schema is current before serving, and migrate the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from ucs.db.base import db

if TYPE_CHECKING:  # the app is only passed through: the database layer needs no Flask of its own
    from flask import Flask

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")

# A write that changes nothing and locks nothing, which a read-only database still refuses.
WRITE_PROBE = text("DELETE FROM alembic_version WHERE 1 = 0")
SQLITE_READONLY = 8  # the primary result code; extended codes keep it in their low byte
POSTGRES_READ_ONLY_SQLSTATE = "25006"  # read_only_sql_transaction: a standby, or read-only by setting


class DatabaseNotReady(RuntimeError):
    """The database cannot serve this version of UCS; the message says why and what to do."""


class SchemaNotCurrent(DatabaseNotReady):
    """The database is reachable but not migrated to the revision this code needs."""


class DatabaseUnreachable(DatabaseNotReady):
    """No connection to the database could be made."""


class DatabaseReadOnly(DatabaseNotReady):
    """The database answers but refuses writes; UCS needs both."""


def refuses_writes(error: DBAPIError) -> bool:
    """Whether the database refused because it is read-only: a lasting state, not a passing outage."""
    code = getattr(error.orig, "sqlite_errorcode", None)
    return (code is not None and code & 0xFF == SQLITE_READONLY) or getattr(
        error.orig, "sqlstate", None
    ) == POSTGRES_READ_ONLY_SQLSTATE


def schema_revisions(app: Flask) -> tuple[str | None, set[str]]:
    """The database's alembic revision and the heads the code expects."""
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
        except OperationalError as error:
            raise database_problem(app, error) from None
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR))
        return current, set(script.get_heads())


def ensure_schema(app: Flask) -> tuple[str | None, str] | None:
    """Migrate the embedded SQLite database; stop with a clear message when another database lags behind
    or refuses writes. Returns the revisions (from, to) when it migrated, else None."""
    current, heads = schema_revisions(app)
    migrated = None
    if current not in heads:
        if app.config["DATABASE_URL"] is not None:
            raise SchemaNotCurrent(
                f"the database at {db_url_for_humans(app)} is at schema revision {current or 'none (empty)'}, "
                f"but this version of UCS needs {', '.join(sorted(heads))}: run `ucs db upgrade` first"
            )
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
        migrated = current, ", ".join(sorted(heads))
    check_writable(app)
    return migrated


def check_writable(app: Flask) -> None:
    """Stop at start-up on a database that refuses writes, rather than refuse every request later."""
    with app.app_context(), db.engine.connect() as connection:
        try:
            connection.execute(WRITE_PROBE)
        except DBAPIError as error:
            if not refuses_writes(error):
                raise
            raise database_problem(app, error) from None
        finally:
            connection.rollback()


def database_problem(app: Flask, error: DBAPIError) -> DatabaseNotReady:
    """What stops UCS or a command on this database, in one line and without the password."""
    reason = str(error.orig or error).strip().splitlines()[0]
    if refuses_writes(error):
        return DatabaseReadOnly(
            f"the database at {db_url_for_humans(app)} does not accept writes ({reason}); "
            "UCS needs to write to it"
        )
    return DatabaseUnreachable(f"cannot reach the database at {db_url_for_humans(app)}: {reason}")


def db_url_for_humans(app: Flask) -> str:
    """The database URL without its password."""
    with app.app_context():
        return db.engine.url.render_as_string(hide_password=True)

"""Check that the database schema is current before serving, and migrate the embedded default."""

from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.exc import OperationalError

from ucs.extensions import db

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


class DatabaseNotReady(RuntimeError):
    """The database cannot serve this version of UCS; the message says why and what to do."""


class SchemaNotCurrent(DatabaseNotReady):
    """The database is reachable but not migrated to the revision this code needs."""


class DatabaseUnreachable(DatabaseNotReady):
    """No connection to the database could be made."""


def schema_revisions(app: Flask) -> tuple[str | None, set[str]]:
    """The database's alembic revision and the heads the code expects."""
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
        except OperationalError as error:
            reason = str(error.orig or error).strip().splitlines()[0]
            raise DatabaseUnreachable(
                f"cannot reach the database at {db_url_for_humans(app)}: {reason}"
            ) from None
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR))
        return current, set(script.get_heads())


def ensure_schema(app: Flask) -> None:
    """Migrate the embedded SQLite database; stop with a clear message when another database lags behind."""
    if app.config["DATABASE_URL"] is None:
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
        return
    current, heads = schema_revisions(app)
    if current not in heads:
        raise SchemaNotCurrent(
            f"the database at {db_url_for_humans(app)} is at schema revision {current or 'none (empty)'}, "
            f"but this version of UCS needs {', '.join(sorted(heads))}: run `ucs db upgrade` first"
        )


def db_url_for_humans(app: Flask) -> str:
    """The database URL without its password."""
    with app.app_context():
        return db.engine.url.render_as_string(hide_password=True)

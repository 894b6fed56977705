"""`ucs db`: the schema commands an operator needs (docs/operations.md): upgrade, current, history.

They call Flask-Migrate's functions on the app's migrations. Flask-Migrate's own group also authors and
reverts revisions (`migrate`, `revision`, `downgrade`, ...): those are for UCS's developers, through
`flask --app ucs db ...` (docs/architecture.md, "Schema changes"), not for a deployment.
"""

import click
import flask_migrate
from flask.cli import with_appcontext

from ucs.cli.startup import configure_logs


@click.group("db")
def db_group() -> None:
    """Migrate the database schema and see where it stands (run `ucs db upgrade` after each upgrade)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it, for a DBA to review.")
@with_appcontext
def upgrade_command(revision: str, sql: bool) -> None:
    """Migrate the schema to REVISION (default: head, what this version of UCS needs)."""
    flask_migrate.upgrade(revision=revision, sql=sql)


@db_group.command("current")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision's details.")
@with_appcontext
def current_command(verbose: bool) -> None:
    """Show the schema revision the database is at."""
    configure_logs()  # UCS's log set-up, where alembic's INFO lines are off: the revision alone is the answer
    flask_migrate.current(verbose=verbose)


@db_group.command("history")
@click.option("-r", "--rev-range", help="Only these revisions, as alembic reads them: [start]:[end].")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision's details.")
@click.option("-i", "--indicate-current", is_flag=True, help="Mark the database's current revision.")
@with_appcontext
def history_command(rev_range: str | None, verbose: bool, indicate_current: bool) -> None:
    """List the schema revisions, newest first."""
    flask_migrate.history(rev_range=rev_range, verbose=verbose, indicate_current=indicate_current)

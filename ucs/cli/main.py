"""The `ucs` command: Flask's CLI for this app (`ucs run`, `ucs db upgrade`, `ucs events ...`), its groups
added from their modules in ucs/cli/."""

import click
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.exc import OperationalError

from ucs.app import STARTUP_ERRORS, create_app
from ucs.cli.events import events_group
from ucs.cli.serve import run_command, serve_command
from ucs.cli.tokens import tokens_group
from ucs.cli.uploads import uploads_group
from ucs.cli.validate import validate_command
from ucs.db.schema import database_problem


def _create_app():
    """The app for every command; a bad setting is one line on stderr, not a traceback."""
    try:
        return create_app()
    except STARTUP_ERRORS as error:
        raise click.ClickException(str(error)) from None


class UcsGroup(FlaskGroup):
    """Flask's command group, whose commands report an unreachable database in one line.

    Flask-Migrate's `db` commands let SQLAlchemy's OperationalError escape: a 154-line traceback.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OperationalError as error:
            app = ctx.ensure_object(ScriptInfo).load_app()
            raise click.ClickException(str(database_problem(app, error))) from None


main = UcsGroup(
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    help="UCS, the Upload Controller Service. Settings come from UCS_* environment variables.",
)
main.add_command(run_command)
main.add_command(tokens_group)
main.add_command(events_group)
main.add_command(uploads_group)
main.add_command(serve_command)
main.add_command(validate_command)

"""The `ucs` command (`ucs run`, `ucs db upgrade`, `ucs events ...`): UCS's own options, and its groups
added from their modules in ucs/cli/.

It is a plain click group, not Flask's: no `--app`, `--debug` or `.env` loading, and no app is built to
list the commands. A command that needs the app builds it when it runs (`flask.cli.with_appcontext`,
from the ScriptInfo the group hands down), so `--help` and `--version` touch nothing.
"""

import click
from flask.cli import ScriptInfo
from sqlalchemy.exc import OperationalError

from ucs.app import STARTUP_ERRORS, create_app
from ucs.cli.db import db_group
from ucs.cli.events import events_group
from ucs.cli.files import files_group
from ucs.cli.serve import run_command, serve_command
from ucs.cli.tokens import tokens_group
from ucs.cli.uploads import uploads_group
from ucs.cli.validate import validate_command
from ucs.crypt4gh.commands import crypt4gh_group
from ucs.db.schema import database_problem


def _create_app():
    """The app for every command; a bad setting is one line on stderr, not a traceback."""
    try:
        return create_app()
    except STARTUP_ERRORS as error:
        raise click.ClickException(str(error)) from None


class UcsGroup(click.Group):
    """The group whose commands build the app on demand and report an unreachable database in one line.

    Flask-Migrate's functions let SQLAlchemy's OperationalError escape: a 154-line traceback.
    """

    def make_context(self, info_name, args, parent=None, **extra):
        # Flask's test runner passes a ScriptInfo holding its own app; otherwise it comes from UCS_* settings.
        extra.setdefault("obj", ScriptInfo(create_app=_create_app, set_debug_flag=False))
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OperationalError as error:
            app = ctx.find_object(ScriptInfo).load_app()
            raise click.ClickException(str(database_problem(app, error))) from None


@click.group(cls=UcsGroup)
@click.version_option(package_name="ucs", message="%(prog)s %(version)s")
def main() -> None:
    """UCS, the Upload Controller Service. Settings come from UCS_* environment variables
    (docs/configuration.md)."""


for command in (
    run_command,
    serve_command,
    db_group,
    files_group,
    tokens_group,
    events_group,
    uploads_group,
    validate_command,
    crypt4gh_group,
):
    main.add_command(command)

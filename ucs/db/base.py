"""The database extensions, created unbound here and bound to an app in create_app: `db`, `Base`, `migrate`."""

import contextlib
import logging

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    pass


class UcsSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy, whose closing of a request's session cannot turn the request's answer into a 500."""

    def _teardown_session(self, exc: BaseException | None) -> None:
        # Closing rolls back the transaction a read after the commit opened. On a connection the database
        # dropped meanwhile that ROLLBACK raised out of Flask, after the answer was built: the client got
        # the server's HTML 500 for a change that was saved. Nothing is lost by not rolling back on a dead
        # connection; the pool replaces it.
        try:
            self.session.remove()
        except Exception as error:
            log.warning(
                "closing the request's database session failed: %s",
                getattr(error, "orig", None) or error,
                exc_info=not isinstance(error, DBAPIError),
            )
            with contextlib.suppress(Exception):
                self.session.invalidate()
            self.session.registry.clear()


db = UcsSQLAlchemy(model_class=Base)
migrate = Migrate()

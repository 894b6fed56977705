"""Health: can this instance reach its database and its object store."""

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from sqlalchemy.exc import DBAPIError

from ucs.api.common import storage
from ucs.api.parsing import Blueprint
from ucs.db.base import db
from ucs.db.schema import WRITE_PROBE, refuses_writes
from ucs.storage import StorageError

blp = Blueprint("health", __name__, url_prefix="/health", description="Liveness and readiness")


class HealthSchema(ma.Schema):
    status = ma.fields.String(metadata={"description": "ok or unavailable"})
    database = ma.fields.String()
    storage = ma.fields.String()
    auth = ma.fields.String(metadata={"description": "enabled, or disabled when UCS_AUTH_DISABLED is set"})


@blp.route("")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database or the store is unreachable")
    def get(self):
        """Report whether the database and the object store answer"""
        report = {"database": "ok", "storage": "ok"}
        try:
            db.session.execute(WRITE_PROBE)  # a read alone would call a read-only database ok
        except DBAPIError as error:
            report["database"] = (
                "read-only: it refuses writes" if refuses_writes(error) else _unavailable(error)
            )
        except Exception as error:  # any driver error means the database is unusable
            report["database"] = _unavailable(error)
        finally:
            db.session.rollback()
        try:
            storage().check()
        except StorageError as error:
            report["storage"] = f"unavailable: {error}"
        healthy = report["database"] == report["storage"] == "ok"
        report["status"] = "ok" if healthy else "unavailable"
        report["auth"] = "disabled" if current_app.config["AUTH_DISABLED"] else "enabled"
        return report, 200 if healthy else 503


def _unavailable(error: Exception) -> str:
    return f"unavailable: {type(error).__name__}"

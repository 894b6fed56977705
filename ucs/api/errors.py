"""Map the domain's and the stores' exceptions to HTTP answers, in the one error shape of the API."""

import logging

from flask import jsonify
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError

from ucs.api.smorest import error_body
from ucs.db.base import db
from ucs.db.schema import refuses_writes
from ucs.problems import BadRequest, Conflict, NotFound, UploadError, VerdictPending
from ucs.storage import StorageError, StorageUnavailable, UploadNotFound

log = logging.getLogger("ucs.errors")  # the name logs have always carried (docs/operations.md)

# The one place a refusal (ucs/problems.py) becomes an HTTP status; subclasses answer as their kind.
STATUS_BY_ERROR = (
    (NotFound, 404),
    (Conflict, 409),
    (BadRequest, 400),
    (UploadError, 400),
)


def error_response(code: int, message: str):
    body, code = error_body(code, message)
    return jsonify(body), code


def handle_upload_error(error: UploadError):
    db.session.rollback()
    code = next(code for kind, code in STATUS_BY_ERROR if isinstance(error, kind))
    body, code = error_response(code, str(error))
    if isinstance(error, VerdictPending):  # a client that waits asks again after this (docs/api.md)
        return body, code, {"Retry-After": str(error.retry_after)}
    return body, code


def handle_storage_error(error: StorageError):
    db.session.rollback()
    log.warning("object store error: %s", error)
    if isinstance(error, UploadNotFound):
        # A pending upload the store lost (expired, aborted, or another store): no retry brings it back.
        return error_response(
            409,
            f"the object store no longer holds this upload ({error}): it expired or was aborted, or UCS "
            "now uses another store; cancel the upload and start a new one",
        )
    if isinstance(error, StorageUnavailable):
        return error_response(503, f"the object store is unavailable: {error}")
    return error_response(502, f"the object store refused the request: {error}")


def handle_integrity_error(error: IntegrityError):
    # Only reached when a concurrent request changed the same rows first; retrying is safe.
    db.session.rollback()
    log.info("integrity error: %s", error.orig)
    return error_response(409, "a concurrent request changed this resource first; retry")


def handle_database_error(error: OperationalError | InternalError):
    db.session.rollback()
    if refuses_writes(error):
        # Read-only (a file or mount made read-only, a standby): waiting does not cure it.
        log.error("database refuses writes: %s", error.orig)
        return error_response(
            503, "the database does not accept writes (it is read-only); an operator has to fix this"
        )
    if isinstance(error, InternalError):
        log.error("database error: %s", error.orig)
        return error_response(500, "the database failed the request")
    # The database went away (restart, network, failover): nothing was changed, the client may retry.
    log.error("database unavailable: %s", error.orig)
    return error_response(503, "the database is unavailable; retry in a moment")


def register_error_handlers(app):
    app.register_error_handler(UploadError, handle_upload_error)
    app.register_error_handler(StorageError, handle_storage_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_database_error)
    # PostgreSQL's 'read-only transaction' arrives as an InternalError.
    app.register_error_handler(InternalError, handle_database_error)

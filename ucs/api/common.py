"""Schemas and helpers that more than one resource uses."""

import marshmallow as ma

from ucs.api.parsing import Blueprint
from ucs.fields import sha256_field, size_field
from ucs.plugins import current_storage
from ucs.storage import StorageBackend

# One wording for every 503: a view that needs the store, a token check and a query may each give it.
UNAVAILABLE = "The database, the object store or the token issuer's keys are unavailable; retry shortly"


def error(blp: Blueprint, code: int, description: str, headers: dict | None = None):
    """Document an error answer of a view, in the error shape of its blueprint's API (UCS's by default).

    headers: {name: (description, required)} for the headers the answer carries.
    """
    documented = {
        name: {"description": text, "required": required, "schema": {"type": "string"}}
        for name, (text, required) in (headers or {}).items()
    }
    return blp.alt_response(
        code, schema=blp.ERROR_SCHEMA, description=description, headers=documented or None
    )


def store_errors(blp: Blueprint):
    """Document what a view that calls the object store answers when the store fails."""

    def decorate(view):
        view = error(blp, 502, "The object store refused the request, or its answers disagree")(view)
        return error(blp, 503, UNAVAILABLE)(view)

    return decorate


def storage() -> StorageBackend:
    return current_storage()


class TimestampedSchema(ma.Schema):
    """A row's own times, in every answer about it."""

    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class PresignedRequestSchema(ma.Schema):
    url = ma.fields.String(required=True)
    method = ma.fields.String(required=True, metadata={"description": "HTTP method to use with the URL"})
    headers = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={"description": "Headers to send with the request"},
    )
    expires_at = ma.fields.DateTime(required=True)


__all__ = [
    "error",
    "store_errors",
    "sha256_field",
    "size_field",
    "PresignedRequestSchema",
    "TimestampedSchema",
    "storage",
]

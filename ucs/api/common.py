"""Schemas and helpers that more than one resource uses."""

from datetime import UTC, datetime

import marshmallow as ma
from flask_smorest import abort

from ucs.api.parsing import Blueprint
from ucs.fields import sha256_field, size_field
from ucs.plugins import current_storage
from ucs.storage import StorageBackend
from ucs.uploads import FILE_ID_PATTERN, FILE_ID_RULE, is_valid_file_id


def error(blp: Blueprint, code: int, description: str):
    """Document an error answer of a view, in the error shape of its blueprint's API (UCS's by default)."""
    return blp.alt_response(code, schema=blp.ERROR_SCHEMA, description=description)


def store_errors(blp: Blueprint):
    """Document what a view that calls the object store answers when the store fails."""

    def decorate(view):
        view = error(blp, 502, "The object store refused the request")(view)
        return error(blp, 503, "The object store is unavailable")(view)

    return decorate


MALFORMED_JSON = "The body is not valid JSON"
NOT_JSON_BODY = "The body is not sent as JSON (Content-Type: application/json)"


def storage() -> StorageBackend:
    return current_storage()


def checked_file_id(file_id: str, name: str = "file_id") -> str:
    """File ids become object keys: refuse anything outside the documented alphabet before it is used."""
    if not is_valid_file_id(file_id):
        shown = file_id if len(file_id) <= 40 else file_id[:40] + "..."
        abort(422, message=f"invalid {name} {shown!r}: it must be {FILE_ID_RULE}")
    return file_id


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every time UCS stores is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class UtcDateTime(ma.fields.DateTime):
    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(as_utc(value), attr, obj, **kwargs)


class PresignedRequestSchema(ma.Schema):
    url = ma.fields.String(required=True)
    method = ma.fields.String(metadata={"description": "HTTP method to use with the URL"})
    headers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    expires_at = UtcDateTime()


__all__ = [
    "MALFORMED_JSON",
    "NOT_JSON_BODY",
    "error",
    "store_errors",
    "FILE_ID_PATTERN",
    "sha256_field",
    "size_field",
    "PresignedRequestSchema",
    "UtcDateTime",
    "checked_file_id",
    "storage",
]

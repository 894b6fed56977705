"""The identifiers in the API's paths: their rules, how /openapi.json states them, and the checks that hold.

The routes take any text where an id goes, slashes included (upload ids are the store's own, and a
file id with a slash is a 422 that says what is wrong rather than a bare 404); the views then refuse,
with these checks, exactly what the document's parameter schemas forbid (docs/architecture.md, "HTTP").
"""

import marshmallow as ma
from flask_smorest import abort
from werkzeug.routing import PathConverter, Rule

from ucs.db.models import MultipartUpload
from ucs.uploads import FILE_ID_PATTERN, FILE_ID_RULE, MAX_PARTS, is_valid_file_id

PART_NO_RULE = f"part_no must be a whole number from 1 to {MAX_PARTS}"
# An upload id is the store's, stored as it is: the column's length bounds it.
MAX_UPLOAD_ID_LENGTH = MultipartUpload.__table__.c.s3_upload_id.type.length


class IdConverter(PathConverter):
    """Any text, slashes and line breaks included: an id the view refuses gets the view's 4xx, not a 404."""

    regex = "(?s:" + PathConverter.regex + ")"


class FileIdConverter(IdConverter):
    """An id that does not end as a file route does."""

    regex = IdConverter.regex + "(?<!/download)(?<!/multipart_uploads)"


class UploadIdConverter(IdConverter):
    """An id that does not end as an upload route does (/parts, .../presigned_post, .../presigned_posts)."""

    regex = IdConverter.regex + "(?<!/parts)(?<!/presigned_post)(?<!/presigned_posts)"


ID_CONVERTERS = {"file_id": FileIdConverter, "upload_id": UploadIdConverter, "object_id": IdConverter}


class IdRule(Rule):
    """A URL rule whose `<path:...>` ids take any text, but never a route's own suffix.

    `PUT /files/f/download` is then a 405 for f's download (RFC 9110, with Allow), not a 422 for a file
    'f/download'. The rule keeps its text, which is the route label of the metrics and the logs.
    """

    def get_converter(self, variable_name, converter_name, args, kwargs):
        converter = ID_CONVERTERS.get(variable_name) if converter_name == "path" else None
        if converter is None:
            return super().get_converter(variable_name, converter_name, args, kwargs)
        return converter(self.map, *args, **kwargs)


def _path_parameter(name: str, description: str, schema: dict) -> dict:
    return {"in": "path", "name": name, "required": True, "description": description, "schema": schema}


def file_id_parameter(name: str = "file_id") -> dict:
    """The OpenAPI path parameter of a file id (DRS calls it object_id)."""
    return _path_parameter(
        name,
        f"A file id: {FILE_ID_RULE}. Anything else is refused before it is used",
        # FILE_ID_PATTERN is written so that Python (fullmatch) and ECMA-262 read it alike.
        {"type": "string", "pattern": FILE_ID_PATTERN.pattern, "minLength": 1, "maxLength": 128},
    )


UPLOAD_ID = _path_parameter(
    "upload_id",
    "The object store's own id of a multipart upload, an opaque string: percent-encode it",
    # No store makes an id with NUL, and PostgreSQL cannot hold one.
    {"type": "string", "minLength": 1, "maxLength": MAX_UPLOAD_ID_LENGTH, "pattern": "^[^\\u0000]+$"},
)
PART_NO = _path_parameter("part_no", "A part number", {"type": "integer", "minimum": 1, "maximum": MAX_PARTS})


def checked_file_id(file_id: str, name: str = "file_id") -> str:
    """File ids become object keys: refuse anything outside the documented alphabet before it is used."""
    if not is_valid_file_id(file_id):
        shown = file_id if len(file_id) <= 40 else file_id[:40] + "..."
        abort(422, message=f"invalid {name} {shown!r}: it must be {FILE_ID_RULE}")
    return file_id


def checked_upload_id(upload_id: str) -> str:
    """An upload id that can be looked up: one with NUL is no upload's (and the database would refuse it)."""
    if "\x00" in upload_id:
        abort(404, message=f"no multipart upload with id {upload_id!r}")
    return upload_id


def checked_part_no(text: str) -> int:
    """A part number from the path: the decimal digits of a number in 1..MAX_PARTS."""
    # isascii: str.isdigit also accepts digits such as '²' that int() refuses.
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and 1 <= int(text) <= MAX_PARTS):
        abort(422, message=f"invalid part_no {text[:20]!r}: {PART_NO_RULE}")
    return int(text)


def part_no_field(**kwargs) -> ma.fields.Integer:
    """A part number in a body."""
    return ma.fields.Integer(
        strict=True, validate=ma.validate.Range(min=1, max=MAX_PARTS, error=PART_NO_RULE), **kwargs
    )

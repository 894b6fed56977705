"""Multipart uploads: their state, stored parts, part URLs, completion and cancellation."""

import marshmallow as ma
from flask import current_app, g
from flask.views import MethodView

from ucs.api.access import current_subject, require, requires
from ucs.api.common import (
    PresignedRequestSchema,
    TimestampedSchema,
    error,
    sha256_field,
    storage,
    store_errors,
)
from ucs.api.identifiers import PART_NO, UPLOAD_ID, checked_part_no, checked_upload_id, part_no_field
from ucs.api.parsing import MALFORMED_JSON, Blueprint
from ucs.auth.scopes import Action
from ucs.db.queries import upload_row
from ucs.db.read_only import read_only
from ucs.fields import BoundedList
from ucs.operations import completion, life_cycle
from ucs.problems import NotFound
from ucs.uploads import MAX_PARTS, REQUESTED_STATUS_ALIASES, ListedPart, UploadStatus

blp = Blueprint(
    "multipart_uploads",
    __name__,
    url_prefix="/multipart_uploads",
    description="Multipart uploads; upload ids are the store's opaque strings and must be percent-encoded",
)

# Part URLs signed in one request: enough to keep many workers busy, few enough to use before they expire.
MAX_PARTS_PER_BATCH = 1000


def always_present(field: type[ma.fields.Field], description: str | None = None, **kwargs) -> ma.fields.Field:
    """A field in every answer, null where the upload has no value (yet)."""
    metadata = {"description": description} if description else {}
    return field(required=True, allow_none=True, metadata=metadata, **kwargs)


class UploadSchema(TimestampedSchema):
    # Every field is in every answer; null where the upload has no value (yet).
    upload_id = ma.fields.String(attribute="s3_upload_id", required=True)
    file_id = ma.fields.String(required=True)
    status = ma.fields.Enum(UploadStatus, by_value=True, attribute="upload_status", required=True)
    part_size = ma.fields.Integer(
        required=True, metadata={"description": "Bytes per part; the last part may be shorter"}
    )
    size = always_present(ma.fields.Integer)
    sha256 = always_present(ma.fields.String)
    etag = always_present(ma.fields.String)
    reason = always_present(ma.fields.String, "Why it failed, was canceled or rejected")
    started_by = always_present(ma.fields.String, "The token subject that started the upload")
    ended_by = always_present(ma.fields.String, "The token subject that completed or canceled it")
    # Validation (docs/validation.md): the verdict's time and author, the check under way, fixity.
    validated_at = always_present(ma.fields.DateTime, "When the verdict was recorded")
    validated_by = always_present(
        ma.fields.String, "Who gave the verdict: a validator's id (host:pid) or the event consumer"
    )
    validation_progress = always_present(
        ma.fields.Integer, "Bytes a validator has read of the object so far (null when none reads it)"
    )
    fixity_checked_at = always_present(ma.fields.DateTime, "When its bytes were last read and found intact")
    fixity_failed_at = always_present(
        ma.fields.DateTime, "When a re-check found the object changed; it is no longer served"
    )
    fixity_reason = always_present(ma.fields.String, "What the failed re-check found")


MAX_ETAG_LENGTH = 128


class StoredPartSchema(ma.Schema):
    part_no = ma.fields.Integer(required=True)
    etag = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)


class ListedPartSchema(ma.Schema):
    part_no = part_no_field(required=True)
    etag = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_ETAG_LENGTH))

    @ma.post_load
    def make_part(self, data, **kwargs):
        return ListedPart(**data)


class ListedParts(BoundedList):
    """The parts of a completion: up to 10,000 items, each read without marshmallow when it plainly can be.

    Loading 10,000 items through ListedPartSchema took longer than the rest of a filesystem completion
    (docs/benchmarks.md). An item that is exactly {"part_no": int in 1..MAX_PARTS, "etag": str of 1 to
    128 characters} is what the schema accepts and makes the same ListedPart of; any other list goes
    through the schema, so its errors are the schema's.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is list and len(value) <= self.max_length and all(map(_plainly_listed, value)):
            return [ListedPart(item["part_no"], item["etag"]) for item in value]
        return super()._deserialize(value, attr, data, **kwargs)


def _plainly_listed(item) -> bool:
    if type(item) is not dict or len(item) != 2:
        return False
    part_no, etag = item.get("part_no"), item.get("etag")
    # type() is, not isinstance: True is an int to Python; the schema decides what it makes of it.
    return (
        type(part_no) is int
        and 1 <= part_no <= MAX_PARTS
        and type(etag) is str
        and 1 <= len(etag) <= MAX_ETAG_LENGTH
    )


def parts_field(**kwargs) -> BoundedList:
    return ListedParts(
        ma.fields.Nested(ListedPartSchema),
        max_length=MAX_PARTS,
        metadata={"description": "Every part with its ETag, in ascending part_no order, each once"},
        **kwargs,
    )


def status_field(*spellings: str) -> ma.fields.String:
    return ma.fields.String(
        required=True, validate=ma.validate.OneOf(spellings, error="status must be one of {choices}")
    )


class UploadPatchSchema(ma.Schema):
    """The PATCH body, read as one schema; /openapi.json states it as CompleteUpload or CancelUpload."""

    status = status_field(*REQUESTED_STATUS_ALIASES)
    parts = parts_field()
    sha256 = sha256_field()

    @ma.validates_schema
    def check_parts(self, data, **kwargs):
        parts = data.get("parts")
        if data.get("status") == "uploaded" and not parts:
            raise ma.ValidationError("status uploaded needs the list of parts with their ETags", "parts")
        numbers = [p.part_no for p in parts or []]
        if numbers != sorted(set(numbers)):
            raise ma.ValidationError("parts must be listed in ascending part_no order, each once", "parts")


class CompleteUploadSchema(UploadPatchSchema):
    """Documents a PATCH body that completes an upload (UploadPatchSchema reads it)."""

    status = status_field("uploaded")
    parts = parts_field(required=True, validate=ma.validate.Length(min=1))


class CancelUploadSchema(UploadPatchSchema):
    """Documents a PATCH body that cancels an upload (UploadPatchSchema reads it; parts are checked, unused)."""

    status = status_field(
        *(name for name, to in REQUESTED_STATUS_ALIASES.items() if to is UploadStatus.CANCELED)
    )


class PartUrlsRequestSchema(ma.Schema):
    part_nos = BoundedList(
        part_no_field(),
        max_length=MAX_PARTS_PER_BATCH,
        required=True,
        validate=ma.validate.Length(min=1, error="part_nos must list at least one part number"),
        metadata={"description": f"1 to {MAX_PARTS_PER_BATCH} distinct part numbers", "uniqueItems": True},
    )

    @ma.validates_schema
    def check_distinct(self, data, **kwargs):
        if len(set(data["part_nos"])) != len(data["part_nos"]):
            raise ma.ValidationError("part_nos must not repeat a part number", "part_nos")


class PartUrlSchema(PresignedRequestSchema):
    part_no = ma.fields.Integer(required=True)


def _upload(upload_id: str):
    """Find an upload; the PATCH route also answers with a trailing slash, as the original specification
    (docs/architecture.md) writes it.

    The access check looks the upload up first; the view then gets the same row without a second query.
    """
    found = g.get("ucs_upload")
    if found is not None and upload_id in (found.s3_upload_id, found.s3_upload_id + "/"):
        return found
    try:
        found = upload_row(checked_upload_id(upload_id))
    except NotFound:
        if not upload_id.endswith("/"):
            raise
        found = upload_row(upload_id[:-1])
    g.ucs_upload = found
    return found


def _file_of_upload(view_args: dict) -> str:
    """Routes keyed by upload id are authorized on the upload's file: a token for file A reaches A only."""
    return _upload(view_args["upload_id"]).file_id


@blp.route("/<path:upload_id>", parameters=[UPLOAD_ID])
class UploadById(MethodView):
    @read_only
    @requires(blp, Action.READ_UPLOADS, _file_of_upload)
    @blp.response(200, UploadSchema)
    @error(blp, 404, "No upload with this id")
    def get(self, upload_id):
        """Look up an upload and its state"""
        return _upload(upload_id)

    # Cancel is the least this route allows (uploads:manage may cancel any upload); completing needs more.
    @requires(blp, Action.CANCEL, _file_of_upload)
    @blp.arguments(UploadPatchSchema, documented_as={"oneOf": [CompleteUploadSchema, CancelUploadSchema]})
    @blp.response(204)
    @error(blp, 400, f"{MALFORMED_JSON}, or the parts do not match the store: the upload is now failed")
    @error(blp, 404, "No upload with this id")
    @error(blp, 409, "The upload is not pending")
    @error(blp, 422, "Invalid body")
    @store_errors(blp)
    def patch(self, body, upload_id):
        """Complete an upload (status uploaded, with every part's ETag) or cancel it"""
        upload = _upload(upload_id)
        if REQUESTED_STATUS_ALIASES[body["status"]] is UploadStatus.CANCELED:
            life_cycle.cancel_upload(storage(), upload.s3_upload_id, actor=current_subject())
        else:
            require(Action.UPLOAD, upload.file_id)
            completion.complete_upload(
                storage(), upload.s3_upload_id, body["parts"], body.get("sha256"), actor=current_subject()
            )


@blp.route("/<path:upload_id>/parts", parameters=[UPLOAD_ID])
class UploadParts(MethodView):
    @read_only
    @requires(blp, Action.READ_UPLOADS, _file_of_upload)
    @blp.response(200, StoredPartSchema(many=True))
    @error(blp, 404, "No upload with this id")
    @error(blp, 409, "The upload is not pending, or the store no longer holds it")
    @store_errors(blp)
    def get(self, upload_id):
        """List the parts the store holds so far (to resume an upload)"""
        upload = _upload(upload_id)
        life_cycle.require_pending(upload)
        return storage().list_parts(upload.key, upload.s3_upload_id)


@blp.route("/<path:upload_id>/part/<part_no>/presigned_post", parameters=[UPLOAD_ID, PART_NO])
class PartUrl(MethodView):
    @read_only
    @requires(blp, Action.UPLOAD, _file_of_upload)
    @blp.response(200, PresignedRequestSchema)
    @error(blp, 404, "No upload with this id")
    @error(blp, 409, "The upload is not pending, or the store no longer holds it")
    @error(blp, 422, "part_no outside 1..10000")
    @store_errors(blp)
    def post(self, upload_id, part_no):
        """Get a presigned URL that stores one part (PUT the part's bytes to it)"""
        number = checked_part_no(part_no)
        upload = _upload(upload_id)
        life_cycle.require_pending(upload)
        return storage().presign_upload_part(
            upload.key, upload.s3_upload_id, number, current_app.config["PRESIGNED_URL_EXPIRY"]
        )


@blp.route("/<path:upload_id>/parts/presigned_posts", parameters=[UPLOAD_ID])
class PartUrls(MethodView):
    @read_only
    @requires(blp, Action.UPLOAD, _file_of_upload)
    @blp.arguments(PartUrlsRequestSchema)
    @blp.response(200, PartUrlSchema(many=True), description="One URL per part, in part order")
    @error(blp, 404, "No upload with this id")
    @error(blp, 409, "The upload is not pending")
    @error(blp, 422, f"part_nos is not 1 to {MAX_PARTS_PER_BATCH} distinct numbers in 1..{MAX_PARTS}")
    @store_errors(blp)
    def post(self, body, upload_id):
        """Get presigned URLs for many parts at once (PUT each part's bytes to its URL)"""
        upload = _upload(upload_id)
        life_cycle.require_pending(upload)
        numbers = sorted(body["part_nos"])
        signed = storage().presign_upload_parts(
            upload.key, upload.s3_upload_id, numbers, current_app.config["PRESIGNED_URL_EXPIRY"]
        )
        return [{"part_no": number, **vars(request)} for number, request in zip(numbers, signed, strict=True)]

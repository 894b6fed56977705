"""Multipart uploads: their state, stored parts, part URLs, completion and cancellation."""

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from ucs import services
from ucs.api.common import (
    MALFORMED_JSON,
    NOT_JSON_BODY,
    PresignedRequestSchema,
    UtcDateTime,
    error,
    sha256_field,
    storage,
    store_errors,
)
from ucs.api.parsing import Blueprint
from ucs.fields import BoundedList
from ucs.uploads import MAX_PARTS, REQUESTED_STATUS_ALIASES, ListedPart, UploadStatus

blp = Blueprint(
    "multipart_uploads",
    __name__,
    url_prefix="/multipart_uploads",
    description="Multipart uploads; upload ids are the store's opaque strings and must be percent-encoded",
)

PART_NO_RULE = f"part_no must be a whole number from 1 to {MAX_PARTS}"


class UploadSchema(ma.Schema):
    upload_id = ma.fields.String(attribute="s3_upload_id")
    file_id = ma.fields.String()
    status = ma.fields.String(attribute="upload_status")
    part_size = ma.fields.Integer(metadata={"description": "Bytes per part; the last part may be shorter"})
    size = ma.fields.Integer(allow_none=True)
    sha256 = ma.fields.String(allow_none=True)
    etag = ma.fields.String(allow_none=True)
    reason = ma.fields.String(
        allow_none=True, metadata={"description": "Why it failed, was canceled or rejected"}
    )
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class StoredPartSchema(ma.Schema):
    part_no = ma.fields.Integer()
    etag = ma.fields.String()
    size = ma.fields.Integer()


class ListedPartSchema(ma.Schema):
    part_no = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_PARTS, error=PART_NO_RULE)
    )
    etag = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))

    @ma.post_load
    def make_part(self, data, **kwargs):
        return ListedPart(**data)


class UploadPatchSchema(ma.Schema):
    status = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(list(REQUESTED_STATUS_ALIASES), error="status must be one of {choices}"),
    )
    parts = BoundedList(ma.fields.Nested(ListedPartSchema), max_length=MAX_PARTS)
    sha256 = sha256_field()

    @ma.validates_schema
    def check_parts(self, data, **kwargs):
        parts = data.get("parts")
        if data.get("status") == "uploaded" and not parts:
            raise ma.ValidationError("status uploaded needs the list of parts with their ETags", "parts")
        numbers = [p.part_no for p in parts or []]
        if numbers != sorted(set(numbers)):
            raise ma.ValidationError("parts must be listed in ascending part_no order, each once", "parts")


def _upload(upload_id: str):
    """Find an upload; the PATCH route also answers with a trailing slash, as the seed writes it."""
    try:
        return services.get_upload(upload_id)
    except services.NotFound:
        if upload_id.endswith("/"):
            return services.get_upload(upload_id[:-1])
        raise


def _part_no(text: str) -> int:
    # isascii: str.isdigit also accepts digits such as '²' that int() refuses.
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and 1 <= int(text) <= MAX_PARTS):
        abort(422, message=f"invalid part_no {text[:20]!r}: {PART_NO_RULE}")
    return int(text)


@blp.route("/<path:upload_id>")
class UploadById(MethodView):
    @blp.response(200, UploadSchema)
    @error(blp, 404, "No upload with this id")
    def get(self, upload_id):
        """Look up an upload and its state"""
        return _upload(upload_id)

    @blp.arguments(UploadPatchSchema)
    @blp.response(204)
    @error(blp, 400, f"{MALFORMED_JSON}, or the parts do not match the store: the upload is now failed")
    @error(blp, 415, NOT_JSON_BODY)
    @error(blp, 404, "No upload with this id")
    @error(blp, 409, "The upload is not pending")
    @error(blp, 422, "Invalid body")
    @store_errors(blp)
    def patch(self, body, upload_id):
        """Complete an upload (status uploaded, with every part's ETag) or cancel it"""
        upload_id = _upload(upload_id).s3_upload_id
        if REQUESTED_STATUS_ALIASES[body["status"]] is UploadStatus.CANCELED:
            services.cancel_upload(storage(), upload_id)
        else:
            services.complete_upload(storage(), upload_id, body["parts"], body.get("sha256"))


@blp.route("/<path:upload_id>/parts")
class UploadParts(MethodView):
    @blp.response(200, StoredPartSchema(many=True))
    @error(blp, 404, "No upload with this id")
    @error(blp, 409, "The upload is not pending, or the store no longer holds it")
    @store_errors(blp)
    def get(self, upload_id):
        """List the parts the store holds so far (to resume an upload)"""
        upload = _upload(upload_id)
        services.require_pending(upload)
        return storage().list_parts(upload.key, upload.s3_upload_id)


@blp.route("/<path:upload_id>/part/<part_no>/presigned_post")
class PartUrl(MethodView):
    @blp.response(200, PresignedRequestSchema)
    @error(blp, 404, "No upload with this id")
    @error(blp, 409, "The upload is not pending, or the store no longer holds it")
    @error(blp, 422, "part_no outside 1..10000")
    @store_errors(blp)
    def post(self, upload_id, part_no):
        """Get a presigned URL that stores one part (PUT the part's bytes to it)"""
        number = _part_no(part_no)
        upload = _upload(upload_id)
        services.require_pending(upload)
        return storage().presign_upload_part(
            upload.key, upload.s3_upload_id, number, current_app.config["PRESIGNED_URL_EXPIRY"]
        )

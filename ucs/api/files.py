"""Files: registration, lookup, their uploads, and the download URL of the completed object."""

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from ucs.api.access import current_subject, requires
from ucs.api.common import (
    PresignedRequestSchema,
    TimestampedSchema,
    error,
    sha256_field,
    size_field,
    storage,
    store_errors,
)
from ucs.api.identifiers import checked_file_id, file_id_parameter
from ucs.api.multipart_uploads import UploadSchema
from ucs.api.parsing import MALFORMED_JSON, Blueprint
from ucs.auth.scopes import Action
from ucs.db import queries
from ucs.operations import registration
from ucs.operations.serving import served_upload
from ucs.uploads import UploadStatus
from ucs.validation.settings import serving

blp = Blueprint("files", __name__, url_prefix="/files", description="Files that may be uploaded")


class FileRegistrationSchema(ma.Schema):
    size = size_field(allow_none=True, metadata={"description": "Expected size in bytes; null: not known"})
    sha256 = sha256_field(allow_none=True)


class FileSchema(TimestampedSchema):
    file_id = ma.fields.String(required=True)
    size = size_field(required=True, allow_none=True, metadata={"description": "Expected size in bytes"})
    sha256 = sha256_field(required=True, allow_none=True)
    # The column keeps the original specification's name (s3_upload_id); answers say upload_id everywhere.
    upload_id = ma.fields.String(
        attribute="s3_upload_id",
        required=True,
        allow_none=True,
        metadata={"description": "The latest upload attempt (null before the first)"},
    )


class StartUploadSchema(ma.Schema):
    size = size_field(metadata={"description": "File size in bytes"})


class UploadQueryArgsSchema(ma.Schema):
    status = ma.fields.Enum(
        UploadStatus, by_value=True, metadata={"description": "Only uploads in this state"}
    )


class DownloadSchema(PresignedRequestSchema):
    size = ma.fields.Integer(required=True)
    sha256 = ma.fields.String(required=True, allow_none=True)
    etag = ma.fields.String(required=True)


FILE_ID = [file_id_parameter()]


@blp.route("/<path:file_id>", parameters=FILE_ID)
class FileById(MethodView):
    @requires(blp, Action.REGISTER)
    @blp.arguments(FileRegistrationSchema, required=False, description="Without a body: nothing known yet")
    @blp.response(200, FileSchema, description="The file was already registered and is updated")
    @blp.alt_response(201, schema=FileSchema, description="The file is registered")
    @error(blp, 409, "The file has an active upload; its size and sha256 cannot change")
    @error(blp, 422, "Invalid file_id or body")
    def put(self, body, file_id):
        """Register a file (or update its expected size and SHA-256)"""
        file, created = registration.register_file(
            checked_file_id(file_id), body.get("size"), body.get("sha256")
        )
        return file, 201 if created else 200

    @requires(blp, Action.READ_FILE)
    @blp.response(200, FileSchema)
    @error(blp, 404, "The file is not registered")
    @error(blp, 422, "Invalid file_id")
    def get(self, file_id):
        """Look up a registered file"""
        return queries.get_file(checked_file_id(file_id))


@blp.route("/<path:file_id>/multipart_uploads", parameters=FILE_ID)
class FileUploads(MethodView):
    @requires(blp, Action.UPLOAD)
    @blp.arguments(StartUploadSchema, required=False)
    @blp.response(201, UploadSchema)
    @error(blp, 400, f"{MALFORMED_JSON}, the size differs from the registration, or the file is too large")
    @error(blp, 404, "The file is not registered")
    @error(blp, 409, "The file already has a pending, uploaded or accepted upload")
    @error(blp, 422, "Invalid file_id or body")
    @store_errors(blp)
    def post(self, body, file_id):
        """Start a multipart upload for a file"""
        return registration.start_upload(
            storage(),
            checked_file_id(file_id),
            (body or {}).get("size"),
            current_app.config["PART_SIZE"],
            actor=current_subject(),
        )

    @requires(blp, Action.READ_UPLOADS)
    @blp.arguments(UploadQueryArgsSchema, location="query")
    @blp.response(200, UploadSchema(many=True))
    @error(blp, 404, "The file is not registered")
    def get(self, args, file_id):
        """List a file's uploads, optionally only those in one state (pending: zero or one)"""
        file = queries.get_file(checked_file_id(file_id))
        status = args.get("status")
        return [u for u in file.uploads if status is None or u.upload_status is status]


@blp.route("/<path:file_id>/download", parameters=FILE_ID)
class FileDownload(MethodView):
    @requires(blp, Action.DOWNLOAD)
    @blp.response(200, DownloadSchema)
    @error(blp, 404, "The file is not registered")
    @error(
        blp,
        409,
        "The file has nothing to serve: no completed upload, rejected, or failed a fixity check (the message "
        "says which); or, with a Retry-After header, its verdict is pending: ask again after that many seconds",
        {"Retry-After": ("Seconds to wait before asking again, while the verdict is pending", False)},
    )
    @error(blp, 422, "Invalid file_id")
    @store_errors(blp)
    def get(self, file_id):
        """Get a presigned URL that downloads the file's object (Range requests allowed); with UCS_ACCEPTED_ONLY
        only once its upload was accepted"""
        upload = served_upload(checked_file_id(file_id), *serving(current_app.config))
        request = storage().presign_download(upload.key, current_app.config["PRESIGNED_URL_EXPIRY"])
        return {
            "url": request.url,
            "method": request.method,
            "headers": request.headers,
            "expires_at": request.expires_at,
            "size": upload.size,
            "sha256": upload.sha256 or upload.file.sha256,
            "etag": upload.etag,
        }

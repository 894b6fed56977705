"""The HTTP face of the filesystem store: the routes its presigned URLs (urls.py) point at."""

from flask import Blueprint, jsonify, request, send_file
from werkzeug.exceptions import BadRequest, HTTPException, LengthRequired
from werkzeug.http import parse_range_header

from ucs.api.errors import error_response
from ucs.api.smorest import exception_headers
from ucs.storage import ObjectNotFound, StorageError, StorageUnavailable, UploadNotFound
from ucs_plugins.filesystem.backend import FilesystemBackend
from ucs_plugins.filesystem.multipart import PartTooLarge
from ucs_plugins.filesystem.signing import SignatureRefused

# The store's refusals as HTTP answers; Flask picks the most specific class an exception is an instance of.
ERROR_CODES = (
    (SignatureRefused, 403),
    (UploadNotFound, 404),
    (ObjectNotFound, 404),
    (PartTooLarge, 413),
    (StorageUnavailable, 503),
    (StorageError, 400),
)


def _answer_with(code: int):
    def answer(error: Exception):
        return error_response(code, str(error))

    return answer


def make_blueprint(backend: FilesystemBackend) -> Blueprint:
    """The /storage routes of one backend: part uploads and object downloads, each checked by signature."""
    bp = Blueprint("filesystem_store", __name__, url_prefix="/storage")

    def verify(method: str, key: str, upload_id: str, part_no: int) -> None:
        backend.signer.verify(
            method,
            key,
            upload_id,
            part_no,
            request.args.get("expires", ""),
            request.args.get("signature", ""),
        )

    @bp.put("/uploads/<upload_id>/<int:part_no>")
    def put_part(upload_id: str, part_no: int):
        # The key is part of what was signed; an unknown upload answers 404 (ids are 128 random bits).
        verify("PUT", backend.key_of(upload_id), upload_id, part_no)
        # werkzeug reads a Content-Length it cannot parse (-1, abc, +10, 0x0a) as 0: an empty part would
        # silently replace the stored one.
        declared = request.headers.get("Content-Length")
        if declared is not None and not (declared.isascii() and declared.isdigit()):
            raise BadRequest(f"Content-Length {declared[:40]!r} is not a whole number of bytes")
        # As S3 does: without a length the size check could only come after the disk had filled.
        if request.content_length is None:
            raise LengthRequired("a part needs a Content-Length header (chunked bodies are refused)")
        etag = backend.write_part(upload_id, part_no, request.stream, request.content_length)
        response = jsonify({"part_no": part_no, "etag": etag})
        response.headers["ETag"] = etag
        return response

    @bp.get("/objects/<path:key>")
    def get_object(key: str):
        verify("GET", key, "", 0)
        path = backend.object_path(key)
        if not path.is_file():
            raise ObjectNotFound(f"no object {key}")
        if not _one_byte_range(request.headers.get("Range")):
            # RFC 9110 14.2: a Range of another unit, malformed, or of several ranges (which werkzeug
            # cannot serve) is ignored, and the whole object answered, rather than refused with 416.
            request.environ.pop("HTTP_RANGE", None)
        # conditional=True answers Range requests with 206 Partial Content.
        response = send_file(path, mimetype="application/octet-stream", conditional=True, etag=False)
        response.headers["ETag"] = backend.etag_path(key).read_text()
        return response

    for exception, code in ERROR_CODES:
        bp.register_error_handler(exception, _answer_with(code))

    @bp.errorhandler(HTTPException)
    def http_error(error):
        response, code = error_response(error.code or 500, error.description or "")
        # What the exception adds, such as a 416's Content-Range: bytes */<size>.
        response.headers.update(exception_headers(error))
        return response, code

    return bp


def _one_byte_range(header: str | None) -> bool:
    """Whether a Range header is absent or one range of bytes, the only kind this store serves."""
    if header is None:
        return True
    parsed = parse_range_header(header)
    return parsed is not None and parsed.units == "bytes" and len(parsed.ranges) == 1

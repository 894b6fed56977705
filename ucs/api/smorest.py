"""flask-smorest's Api as UCS uses it: one error body (and its schema) for every answer, shaped per API.

Created unbound here and bound to an app in create_app.
"""

import marshmallow as ma
from flask import Flask, current_app, has_request_context, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

# Per app, the APIs under a path prefix that answer errors in a shape of their own (the GA4GH DRS API's
# {"msg", "status_code"}): {prefix: reshape(body, code) -> (body, code)}, body being UCS's error body.
ERROR_SHAPES = "ucs.error_shapes"


def error_body(code: int, message: str, errors: dict | None = None) -> tuple[dict, int]:
    """The body and status of an error answer, in the shape of the API that owns the request's path.

    UCS's shape is {"code", "status", "message"}, and "errors" with the fields a request got wrong.
    """
    body = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error"), "message": message}
    if errors is not None:
        body["errors"] = errors
    if has_request_context():
        return shaped_for(current_app, request.path, body, code)
    return body, code


def shaped_for(app: Flask, path: str, body: dict, code: int) -> tuple[dict, int]:
    """An error body in UCS's shape as the API that owns path answers it (outside a request, too)."""
    for prefix, reshape in app.extensions.get(ERROR_SHAPES, {}).items():
        if path.startswith(prefix):
            return reshape(body, code)
    return body, code


class ErrorSchema(ma.Schema):
    """How /openapi.json states the body error_body builds."""

    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status"})
    status = ma.fields.String(required=True, metadata={"description": "The status's name"})
    message = ma.fields.String(
        required=True, metadata={"description": "What is wrong, for a person to act on"}
    )
    errors = ma.fields.Dict(metadata={"description": "The fields a request got wrong, by location and name"})


def exception_headers(error: HTTPException) -> dict[str, str]:
    """The headers an HTTP exception answers with besides its body: a 405's Allow (RFC 9110), a 416's range."""
    environ = request.environ if has_request_context() else None
    return {name: value for name, value in error.get_headers(environ) if name.lower() != "content-type"}


class UcsSmorestApi(Api):
    """flask-smorest's Api, whose error bodies always carry a message a person can act on.

    Also answers the errors Flask raises before any view runs (no route, a method the route does not
    take), so an API with an error shape of its own (ERROR_SHAPES) gets its shape for those too.
    """

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        # What abort() passed, as flask-smorest's own handler reads it: message, errors (webargs'), headers.
        data = getattr(error, "data", None) or {}
        errors = data.get("errors", data.get("messages"))
        message = data.get("message")
        if message is None:
            if errors is not None:
                message = "invalid request: " + "; ".join(_flatten(errors))
            elif error.code == 404:
                message = f"no such resource: {request.method} {request.path}"
            else:
                message = error.description
        body, code = error_body(error.code, message, errors)
        return body, code, {**exception_headers(error), **(data.get("headers") or {})}


def _flatten(errors, path: str = ""):
    """webargs' nested error dict as lines like 'json.parts.0.etag: Missing data for required field.'"""
    if isinstance(errors, dict):
        for name, inner in errors.items():
            yield from _flatten(inner, f"{path}.{name}" if path else str(name))
    elif isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        yield f"{path}: {' '.join(errors)}"
    else:
        yield f"{path}: {errors}"


api = UcsSmorestApi()

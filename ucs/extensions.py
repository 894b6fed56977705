"""Extensions, created unbound here and bound to an app in create_app."""

from flask import current_app, has_request_context, request
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Per app, the APIs under a path prefix that answer errors in a shape of their own (the GA4GH DRS API's
# {"msg", "status_code"}): {prefix: reshape(body, code) -> (body, code)}, body being UCS's error body.
ERROR_SHAPES = "ucs.error_shapes"


def shaped_error(body: dict, code: int) -> tuple[dict, int]:
    """An error body and status as the API that owns the request's path answers them."""
    if has_request_context():
        for prefix, reshape in current_app.extensions.get(ERROR_SHAPES, {}).items():
            if request.path.startswith(prefix):
                return reshape(body, code)
    return body, code


class UcsSmorestApi(Api):
    """flask-smorest's Api, whose error bodies always carry a message a person can act on.

    Also answers the errors Flask raises before any view runs (no route, a method the route does not
    take), so an API with an error shape of its own (ERROR_SHAPES) gets its shape for those too.
    """

    def handle_http_exception(self, error):
        payload, code, headers = super().handle_http_exception(error)
        if "message" not in payload:
            if "errors" in payload:
                payload["message"] = "invalid request: " + "; ".join(_flatten(payload["errors"]))
            elif code == 404:
                payload["message"] = f"no such resource: {request.method} {request.path}"
            else:
                payload["message"] = error.description
        payload, code = shaped_error(payload, code)
        return payload, code, headers


def _flatten(errors, path: str = ""):
    """webargs' nested error dict as lines like 'json.parts.0.etag: Missing data for required field.'"""
    if isinstance(errors, dict):
        for name, inner in errors.items():
            yield from _flatten(inner, f"{path}.{name}" if path else str(name))
    elif isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        yield f"{path}: {' '.join(errors)}"
    else:
        yield f"{path}: {errors}"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = UcsSmorestApi()

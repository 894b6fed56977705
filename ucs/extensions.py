"""Extensions, created unbound here and bound to an app in create_app."""

from flask import request
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class UcsApi(Api):
    """flask-smorest's Api, whose error bodies always carry a message a person can act on."""

    def handle_http_exception(self, error):
        payload, code, headers = super().handle_http_exception(error)
        if "message" not in payload:
            if "errors" in payload:
                payload["message"] = "invalid request: " + "; ".join(_flatten(payload["errors"]))
            elif code == 404:
                payload["message"] = f"no such resource: {request.method} {request.path}"
            else:
                payload["message"] = error.description
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
api = UcsApi()

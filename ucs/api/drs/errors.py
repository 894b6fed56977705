"""DRS's error shape: every error answer under /ga4gh/drs/ is {"msg": ..., "status_code": ...}.

UCS's own error handlers (ucs/api/errors.py, and UcsSmorestApi for HTTP errors) build every error answer, so the
statuses, the messages and the headers (WWW-Authenticate, Retry-After) are the same as on UCS's API;
only the body takes DRS's shape, through ucs.api.smorest.ERROR_SHAPES. That covers the answers Flask
gives before any view runs too (no such route, a method the route does not take).
"""

from __future__ import annotations

from flask import Flask

from ucs.api.smorest import ERROR_SHAPES

# Every DRS version's routes; UCS serves v1.
DRS_PATHS = "/ga4gh/drs/"


def drs_error(body: dict, code: int) -> tuple[dict, int]:
    """UCS's error body as DRS's. DRS has no 422: a request UCS cannot process is malformed, a 400."""
    if code == 422:
        code = 400
    return {"msg": body["message"], "status_code": code}, code


def use_drs_errors(app: Flask) -> None:
    app.extensions.setdefault(ERROR_SHAPES, {})[DRS_PATHS] = drs_error

"""Access control at the API's edge: authenticate the bearer token, then authorize one action on one file.

Every protected view is decorated with `requires(blp, action, ...)`, outermost (only `@read_only`, which
changes no behaviour, wraps it), so that a refused request is answered before its body is parsed and
before anything reads or changes a row or the store. RFC 6750:
401 with `WWW-Authenticate: Bearer` for a missing or invalid token, 403 `insufficient_scope` for a valid
token that lacks the permission.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable

from flask import current_app, g, request
from flask_smorest import abort

from ucs import auth
from ucs.api.common import UNAVAILABLE, error
from ucs.api.identifiers import checked_file_id
from ucs.api.parsing import Blueprint
from ucs.auth.jwks import KeysUnavailable
from ucs.auth.scopes import UNRESTRICTED, Action, Principal, granting_scopes
from ucs.auth.verify import InvalidToken

log = logging.getLogger(__name__)

SECURITY_SCHEME = "bearerAuth"
REALM = "ucs"
BEARER = re.compile(r"Bearer +([A-Za-z0-9\-._~+/]+=*) *", re.IGNORECASE)
# How /openapi.json describes the WWW-Authenticate header of a 401 and of a 403.
INVALID_TOKEN = f'Bearer realm="{REALM}", and error="invalid_token" with the reason when a token was sent'
INSUFFICIENT_SCOPE = f'Bearer realm="{REALM}", error="insufficient_scope", the reason and the scope needed'
# What may stand inside a quoted WWW-Authenticate parameter (RFC 6750 section 3).
UNQUOTABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def file_in_path(view_args: dict) -> str:
    return checked_file_id(view_args["file_id"])


def requires(blp: Blueprint, action: Action, file_of: Callable[[dict], str] = file_in_path):
    """Let the view run only for a token that may do action to the file that file_of finds in the URL."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            principal = authenticate()
            require(action, file_of(kwargs), principal)
            return view(*args, **kwargs)

        guarded = _needs_token(blp, guarded)
        refused = "The token lacks the scope this operation needs on this file"
        return error(blp, 403, refused, {"WWW-Authenticate": (INSUFFICIENT_SCOPE, True)})(guarded)

    return decorate


def requires_token(blp: Blueprint):
    """Let the view run only for a verified token; the view checks each file it touches (bulk operations)."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            authenticate()
            return view(*args, **kwargs)

        return _needs_token(blp, guarded)

    return decorate


def _needs_token(blp: Blueprint, view):
    view = blp.doc(security=[{SECURITY_SCHEME: []}])(view)
    view = error(
        blp,
        503,
        UNAVAILABLE,
        {"Retry-After": ("Seconds to wait, when the token issuer's keys are the cause", False)},
    )(view)
    refused = "No bearer token, or one that is malformed, expired or not trusted"
    return error(blp, 401, refused, {"WWW-Authenticate": (INVALID_TOKEN, True)})(view)


def authenticate() -> Principal:
    """The verified principal of this request (401 when there is none), kept in g for the request."""
    principal = g.get("ucs_principal")
    if principal is not None:
        return principal
    verifier = auth.verifier(current_app)
    principal = UNRESTRICTED if verifier is None else _verified(verifier)
    g.ucs_principal = principal
    g.ucs_subject = principal.subject
    return principal


def require(action: Action, file_id: str, principal: Principal | None = None) -> None:
    """Refuse with 403, naming the missing scope, unless the principal may do action to file_id."""
    principal = principal or authenticate()
    refusal = principal.refusal(action, file_id)
    if refusal is not None:
        log.info("refused %s %s for %s: %s", request.method, request.path, principal.subject, refusal)
        needed = granting_scopes(action, file_id)[0]
        abort(403, message=refusal, headers=_challenge("insufficient_scope", refusal, scope=needed))


def current_subject() -> str:
    """Who is acting in this request, for the audit columns, events and logs."""
    return authenticate().subject


def _verified(verifier) -> Principal:
    header = request.headers.get("Authorization")
    if header is None:
        abort(
            401,
            message="this operation needs a bearer token (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    match = BEARER.fullmatch(header)
    if match is None:
        _unauthorized("the Authorization header must be 'Bearer <token>' with a JWT")
    try:
        return verifier.verify(match.group(1))
    except InvalidToken as refusal:
        _unauthorized(str(refusal))
    except KeysUnavailable as outage:
        log.error("cannot check a token: %s", outage)  # the URL or path is for the operator, not the caller
        abort(
            503,
            message="UCS cannot check tokens right now: its token issuer's keys are unavailable; retry shortly",
            headers={"Retry-After": "5"},
        )


def _unauthorized(reason: str):
    abort(401, message=f"the bearer token was refused: {reason}", headers=_challenge("invalid_token", reason))


def _challenge(code: str, description: str, **extra: str) -> dict[str, str]:
    parameters = {"realm": REALM, "error": code, "error_description": description, **extra}
    value = ", ".join(f'{name}="{UNQUOTABLE.sub("?", text)}"' for name, text in parameters.items())
    return {"WWW-Authenticate": f"Bearer {value}"}

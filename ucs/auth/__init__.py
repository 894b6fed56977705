"""Access control: bearer JWTs from trusted issuers, and per-file scopes (docs/security.md).

`init_app` builds the app's token verifier once; the API asks `verifier(app)` for it on each request.
With UCS_AUTH_DISABLED there is none and every request acts unrestricted (trusted networks only).
"""

from __future__ import annotations

import logging

from flask import Flask

from ucs.auth.settings import make_verifier
from ucs.auth.verify import TokenVerifier

log = logging.getLogger(__name__)

EXTENSION = "ucs.auth"
DISABLED_WARNING = "access control is DISABLED (UCS_AUTH_DISABLED): anyone who reaches UCS may do anything"


def init_app(app: Flask) -> None:
    if app.config["AUTH_DISABLED"]:
        log.warning(DISABLED_WARNING)
        app.extensions[EXTENSION] = None
        return
    app.extensions[EXTENSION] = make_verifier(app.config, app.instance_path)


def verifier(app: Flask) -> TokenVerifier | None:
    """The app's token verifier; None when access control is disabled."""
    return app.extensions[EXTENSION]

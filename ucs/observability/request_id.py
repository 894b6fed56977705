"""Each request's id: the caller's X-Request-ID when it is sane, else a new one; every log line carries it."""

from __future__ import annotations

import logging
import re
import uuid

from flask import g, has_request_context, request

HEADER = "X-Request-ID"
# Trace ids and UUIDs pass; anything else could forge a log line or a field, or bloat every line.
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def current() -> str:
    """The id of the request being handled, chosen on first use."""
    if "ucs_request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.ucs_request_id = incoming if SANE.fullmatch(incoming) else uuid.uuid4().hex
    return g.ucs_request_id


class RequestIdFilter(logging.Filter):
    """Adds request_id to each line written while a request is handled: status changes, store errors, ..."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            record.request_id = current()
        return True

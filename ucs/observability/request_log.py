"""One log line and the HTTP metrics per request, and the request id in the response (X-Request-ID).

The line names the route (the URL rule), never the raw path or query string: the filesystem store's
signatures travel in query strings, and raw paths would make every id a metric label.

Both are written once Flask is done with the request (CountedAnswers), as only then is the answer
certain: Flask's teardown runs after the response is built, and an exception escaping it makes the
server answer 500 instead.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

from ucs.api.smorest import error_body, shaped_for
from ucs.observability import metrics, request_id

log = logging.getLogger("ucs.requests")

# Any other method is counted as "other", so a client cannot add label values at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"
# Route arguments that say what a request was about; user input, so cut to a sane length.
ID_ARGUMENTS = ("file_id", "upload_id")
MAX_ID_LENGTH = 200
# Where _finish leaves the request's line for CountedAnswers, in the WSGI environ.
RECORD = "ucs.request_record"
LATE_FAILURE = "internal error after the request was handled: it may have taken effect; check before retrying"


def init_app(app: Flask) -> None:
    # First of all before_request functions, so the clock starts before e.g. an authentication check.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.wsgi_app = CountedAnswers(app, app.wsgi_app)


def _start() -> None:
    g.ucs_request_started = time.perf_counter()
    request_id.current()


def _finish(response: Response) -> Response:
    """Note the request's line for CountedAnswers, which writes it once the answer is certain."""
    elapsed = time.perf_counter() - g.get("ucs_request_started", time.perf_counter())
    response.headers[request_id.HEADER] = request_id.current()
    fields = {
        "method": request.method if request.method in METHODS else "other",
        "route": request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE,
        "status": response.status_code,
        "duration_seconds": round(elapsed, 6),
        "remote_addr": request.remote_addr,
        "subject": getattr(g, "ucs_subject", None),
        "request_id": request_id.current(),
    }
    arguments = request.view_args or {}
    fields.update((name, str(arguments[name])[:MAX_ID_LENGTH]) for name in ID_ARGUMENTS if name in arguments)
    request.environ[RECORD] = fields
    return response


def _report(fields: dict[str, Any]) -> None:
    """The request's metrics and its log line."""
    method, route, status = fields["method"], fields["route"], fields["status"]
    metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
    metrics.HTTP_DURATION.labels(method, route).observe(fields["duration_seconds"])
    level = logging.WARNING if status >= 500 else logging.INFO
    log.log(level, "%s %s %s", method, route, status, extra=fields)


class CountedAnswers:
    """The app's WSGI callable, which reports each request with the status the client got.

    An exception escaping Flask after the answer was built (a teardown function failing) would reach the
    server, whose HTML 500 the metrics and the log never saw: it is answered here instead, as a 500 in the
    API's JSON shape, and reported as one.
    """

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        try:
            answer = self.wsgi_app(environ, start_response)
        except Exception as error:
            log.error("request failed after it was handled", exc_info=error)
            fields = environ.get(RECORD) or _unhandled(environ)
            environ[RECORD] = {**fields, "status": 500}
            answer = self._internal_error(environ, start_response)
        if RECORD in environ:
            _report(environ.pop(RECORD))
        return answer

    def _internal_error(self, environ, start_response) -> list[bytes]:
        # Built without a request context: pushing one would run the teardown functions again.
        body, code = shaped_for(self.app, environ.get("PATH_INFO", ""), *error_body(500, LATE_FAILURE))
        payload = json.dumps(body).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            (request_id.HEADER, environ[RECORD]["request_id"]),
        ]
        # The exception info lets the server replace the status and headers Flask already started.
        start_response(f"{code} INTERNAL SERVER ERROR", headers, sys.exc_info())
        return [payload]


def _unhandled(environ) -> dict[str, Any]:
    """The fields of a request that failed before _finish noted it."""
    method = environ.get("REQUEST_METHOD", "")
    return {
        "method": method if method in METHODS else "other",
        "route": UNMATCHED_ROUTE,
        "duration_seconds": 0.0,
        "remote_addr": environ.get("REMOTE_ADDR"),
        "request_id": uuid.uuid4().hex,
    }

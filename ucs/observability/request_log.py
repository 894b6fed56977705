"""One log line and the HTTP metrics per request, and the request id in the response (X-Request-ID).

The line names the route (the URL rule), never the raw path or query string: the filesystem store's
signatures travel in query strings, and raw paths would make every id a metric label.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from ucs.observability import metrics, request_id

log = logging.getLogger("ucs.requests")

# Any other method is counted as "other", so a client cannot add label values at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"
# Route arguments that say what a request was about; user input, so cut to a sane length.
ID_ARGUMENTS = ("file_id", "upload_id")
MAX_ID_LENGTH = 200


def init_app(app: Flask) -> None:
    # First of all before_request functions, so the clock starts before e.g. an authentication check.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)


def _start() -> None:
    g.ucs_request_started = time.perf_counter()
    request_id.current()


def _finish(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("ucs_request_started", time.perf_counter())
    method = request.method if request.method in METHODS else "other"
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
    metrics.HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
    metrics.HTTP_DURATION.labels(method, route).observe(elapsed)
    response.headers[request_id.HEADER] = request_id.current()

    fields = {
        "method": method,
        "route": route,
        "status": response.status_code,
        "duration_seconds": round(elapsed, 6),
        "remote_addr": request.remote_addr,
        "subject": getattr(g, "ucs_subject", None),
    }
    arguments = request.view_args or {}
    fields.update((name, str(arguments[name])[:MAX_ID_LENGTH]) for name in ID_ARGUMENTS if name in arguments)
    level = logging.WARNING if response.status_code >= 500 else logging.INFO
    log.log(level, "%s %s %s", method, route, response.status_code, extra=fields)
    return response

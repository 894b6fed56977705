"""The metrics of every UCS process. Names and labels are a contract: dashboards and alerts use them.

docs/operations.md explains each. Labels never carry ids (files, uploads, subjects): only bounded sets.
Under `ucs serve` prometheus_client runs in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set up by
ucs/cli/gunicorn_config.py): each worker writes its numbers to files there and a scrape adds them up.
"""

from __future__ import annotations

import os
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    multiprocess,
)
from prometheus_client.exposition import choose_encoder

from ucs.uploads import UploadStatus

# Counters' *_created samples would double the series and mean nothing to an alert.
disable_created_metrics()

# Seconds; a completion on the filesystem store, or of many parts, may take minutes.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

HTTP_REQUESTS = Counter(
    "ucs_http_requests",
    "HTTP requests answered, by method, route (URL rule) and status",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "ucs_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response starts), by method and route",
    ["method", "route"],
    buckets=DURATION_BUCKETS,
)
UPLOADS = Counter(
    "ucs_uploads", "Upload status changes into each status (pending: uploads started)", ["status"]
)
UPLOADED_BYTES = Counter("ucs_uploaded_bytes", "Bytes of completed uploads (status uploaded)")
STORAGE_DURATION = Histogram(
    "ucs_storage_request_duration_seconds",
    "Time of each call to the object store, by backend and operation",
    ["backend", "operation"],
    buckets=DURATION_BUCKETS,
)
STORAGE_ERRORS = Counter(
    "ucs_storage_errors",
    "Calls to the object store that failed (unreachable, refused), by backend and operation",
    ["backend", "operation"],
)
EVENTS_PUBLISHED = Counter("ucs_events_published", "Events the broker confirmed, by type", ["type"])
EVENTS_CONSUMED = Counter(
    "ucs_events_consumed", "Consumed event messages by type and outcome", ["type", "outcome"]
)

VALIDATIONS = Counter(
    "ucs_validations",
    "Objects read back, by outcome: accepted, rejected; intact, changed (fixity re-checks); unavailable "
    "(the store failed: retried later)",
    ["outcome"],
)
VALIDATION_OUTCOMES = ("accepted", "rejected", "intact", "changed", "unavailable")
VALIDATED_BYTES = Counter("ucs_validated_bytes", "Bytes read back and hashed by validators")
VALIDATION_DURATION = Histogram(
    "ucs_validation_duration_seconds",
    "Time to check one object, from its claim to its verdict",
    buckets=DURATION_BUCKETS + (1800, 3600),
)
FIXITY_FAILURES = Counter(
    "ucs_fixity_failures", "Accepted objects found changed or missing when read again (no longer served)"
)

# Every status shows from the start, at 0, so that rate() and alerts see a series before the first change.
for _status in UploadStatus:
    UPLOADS.labels(_status.value)
for _outcome in VALIDATION_OUTCOMES:
    VALIDATIONS.labels(_outcome)


class _ThisProcess:
    """The default registry's metrics, as a collector another registry can include."""

    def collect(self):
        return REGISTRY.collect()


def scrape_registry(*collectors) -> CollectorRegistry:
    """What a scrape reports: all workers' numbers in multiprocess mode, else this process's; plus collectors."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(collector)
    return registry


def exposition(accept: str, *collectors) -> tuple[bytes, str]:
    """The scrape's body and content type: Prometheus text unless Accept asks for OpenMetrics."""
    try:
        encode, content_type = choose_encoder(accept)
    except (TypeError, ValueError):  # a version it cannot read ("version=abc"): not the scraper's 500
        encode, content_type = choose_encoder("")
    return encode(scrape_registry(*collectors)), content_type


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # a scrape every few seconds is not worth a line
        pass


def _metrics_app(*collectors):
    def answer(environ, start_response):
        body, content_type = exposition(environ.get("HTTP_ACCEPT", ""), *collectors)
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    return answer


def serve(port: int, host: str, *collectors) -> None:
    """Serve the metrics (on any path, /metrics included) from a thread of this process (relay, consumer,
    validator), with the collectors' metrics read at each scrape."""
    app = _metrics_app(*collectors)
    server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="ucs-metrics", daemon=True).start()

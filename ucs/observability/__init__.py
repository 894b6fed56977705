"""How UCS is watched (docs/operations.md): log lines with request ids and secrets scrubbed (logs, request_id,
request_log, gunicorn_logger), Prometheus metrics and where they are served (metrics, metrics_endpoint,
metrics_server), the store's calls timed (instrumented_storage), status changes and events counted
(status_changes, event_metrics); wiring.py puts them into an app.

The app factory and the commands import it, and the relay counts what it publishes through event_metrics;
the API, the operations and the database do not. Nothing is imported here: gunicorn's master imports
ucs.observability.logs before prometheus_client may load.
"""

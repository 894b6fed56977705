"""gunicorn's settings for UCS: `ucs serve` runs `gunicorn -c python:ucs.cli.gunicorn_config ucs.wsgi:app`.

gunicorn reads this module's names as its settings and calls its functions as server hooks; command line
options (`ucs serve --bind/--workers`, GUNICORN_CMD_ARGS) override them. Only gunicorn's master should
import it: importing it sets up the metrics directory of this server.
"""

import os
import shutil
import tempfile

# prometheus_client decides once, when first imported, whether it runs in multiprocess mode, and the master
# imports it below (through ucs): the directory must exist, empty, before that.
_metrics_dir_created = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_dir_created:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ucs-metrics-")
else:
    # An operator's directory: files of an earlier run would add that run's numbers to this one's.
    _directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(_directory, exist_ok=True)
    for _name in os.listdir(_directory):
        if _name.endswith(".db"):
            os.remove(os.path.join(_directory, _name))

# JSON lines unless the operator asks for text; the workers' apps read the same variable.
os.environ.setdefault("UCS_LOG_FORMAT", "json")

from ucs.observability import logs  # noqa: E402 - after the metrics directory, see above


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


wsgi_app = "ucs.wsgi:app"
bind = ["127.0.0.1:8000"]
# gunicorn's own rule of thumb; each worker also runs `threads` requests at once.
workers = 2 * _cores() + 1
# A gthread worker's main thread keeps telling the master it is alive while its threads serve, so a
# completion that takes minutes (the filesystem store joining a large object) is not killed as hung,
# which a sync worker is after `timeout` seconds.
worker_class = "gthread"
threads = 4
# A worker whose main loop is silent this long is hung: it is restarted.
timeout = 60
# SIGTERM: stop accepting, let requests in progress finish for this long, then stop.
graceful_timeout = 120
# Reuse connections from a load balancer or proxy for this many seconds.
keepalive = 5
# The heartbeat file: in memory where there is /dev/shm (container overlay filesystems can stall it).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# UCS logs one line per request itself (ucs.requests), with the route, never the query string.
accesslog = None
logger_class = "ucs.observability.gunicorn_logger.Logger"
# gunicorn's control socket (gunicornc) sits at one path per user: two servers on a host would share it.
control_socket_disable = True
logconfig_dict = logs.logging_config(os.environ["UCS_LOG_FORMAT"], os.environ.get("UCS_LOG_LEVEL", "INFO"))


def child_exit(server, worker):
    # A worker's counters stay (they are counts of what happened); only its live gauges must go.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _metrics_dir_created:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)

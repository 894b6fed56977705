"""`ucs serve` leaves request lines to UCS: gunicorn's own logger builds and writes none."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta

from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger

from ucs.observability.gunicorn_logger import Logger
from ucs.observability.logs import logging_config


def with_ucs_logging() -> Config:
    config = Config()
    config.set("logconfig_dict", logging_config("text", "INFO"))
    return config


class Response:
    status = "200 OK"
    headers: list = []
    sent = 2


def test_plain_gunicorn_would_build_an_access_record_for_every_request():
    # Why ucs.observability.gunicorn_logger exists: a logging dict config alone turns gunicorn's access log on.
    assert GunicornLogger(Config()).access_log_enabled is False
    assert GunicornLogger(with_ucs_logging()).access_log_enabled is True


def test_ucs_serve_writes_no_access_lines(caplog):
    logger = Logger(with_ucs_logging())
    logger.access_log.propagate = True
    caplog.set_level(logging.INFO, logger="gunicorn.access")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/health", "SERVER_PROTOCOL": "HTTP/1.1"}
    logger.access(Response(), None, environ, timedelta(milliseconds=1))
    assert logger.access_log_enabled is False
    assert [record for record in caplog.records if record.name == "gunicorn.access"] == []


def test_the_server_configuration_names_this_logger(tmp_path):
    # In a child process: importing ucs.cli.gunicorn_config sets up a metrics directory, as gunicorn's master.
    named = subprocess.run(
        [sys.executable, "-c", "import ucs.cli.gunicorn_config as c; print(c.logger_class)"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
    ).stdout.strip()
    config = Config()
    config.set("logger_class", named)
    assert config.logger_class is Logger

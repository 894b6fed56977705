"""GET /metrics: Prometheus text of every worker's metrics, plus the outbox's state read at the scrape.

It needs no token (docs/security.md, "Tokens") and carries no ids. The outbox gauges are read from the database
by whichever worker answers, so they hold across workers and hosts without any bookkeeping.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ucs.db.base import db
from ucs.db.models import MultipartUpload, OutboxEvent
from ucs.observability.metrics import exposition
from ucs.uploads import UploadStatus
from ucs.validation_modes import NONE

log = logging.getLogger("ucs.metrics_endpoint")  # the name logs have always carried (docs/operations.md)

bp = Blueprint("metrics", __name__)


def _backlog(what: str, waiting, since, count: tuple[str, str], oldest: tuple[str, str]):
    """Two gauges read from the database at the scrape: the rows waiting, and the age of the oldest (by
    since); nothing, with a warning naming what, while the database is down. count and oldest are each
    a gauge's name and help."""
    try:
        pending, first = db.session.execute(select(func.count(), func.min(since)).where(waiting)).one()
    except SQLAlchemyError as error:
        log.warning("metrics: cannot read %s: %s", what, type(error).__name__)
        return
    finally:
        db.session.rollback()  # it only read: end its transaction either way
    age = (datetime.now(UTC) - first).total_seconds() if first is not None else 0.0
    yield GaugeMetricFamily(*count, value=pending)
    yield GaugeMetricFamily(*oldest, value=max(age, 0.0))


class OutboxCollector:
    """ucs_outbox_pending_events and ucs_outbox_oldest_pending_seconds; nothing while the database is down."""

    def collect(self):
        return _backlog(
            "the outbox",
            OutboxEvent.published_at.is_(None),
            OutboxEvent.occurred_at,
            ("ucs_outbox_pending_events", "Events in the outbox that no broker has confirmed yet"),
            (
                "ucs_outbox_oldest_pending_seconds",
                "Age of the oldest unconfirmed outbox event (0 when none waits)",
            ),
        )


class ValidationBacklogCollector:
    """ucs_validation_pending and ucs_validation_oldest_pending_seconds: uploads awaiting their verdict.

    Given an app, it reads in an app context of its own (the metrics thread of `ucs validate`); without
    one, in the request's. Nothing while the database is down, nor with UCS_VALIDATION=none.
    """

    def __init__(self, app=None):
        self.app = app

    def collect(self):
        if (self.app or current_app).config["VALIDATION"] == NONE:
            return  # uploaded is final: nothing awaits a verdict
        if self.app is not None:
            with self.app.app_context():
                yield from self._collect()
        else:
            yield from self._collect()

    def _collect(self):
        return _backlog(
            "the validation backlog",
            MultipartUpload.upload_status == UploadStatus.UPLOADED,
            MultipartUpload.updated_at,
            ("ucs_validation_pending", "Uploads awaiting their verdict (status uploaded)"),
            (
                "ucs_validation_oldest_pending_seconds",
                "Time since the oldest upload awaiting its verdict was completed (0 when none waits)",
            ),
        )


@bp.get("/metrics")
def metrics() -> Response:
    body, content_type = exposition(
        request.headers.get("Accept", ""), OutboxCollector(), ValidationBacklogCollector()
    )
    return Response(body, headers={"Content-Type": content_type})

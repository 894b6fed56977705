"""Event types, the message format and the transactional outbox (DESIGN.md section 6, docs/events.md).

An event row is added to the session of the change it reports, so both commit or neither does. The relay
(ucs/relay.py) later hands each row to an EventPublisher, which a plugin provides for the configured broker.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select

from ucs.extensions import db
from ucs.models import OutboxEvent, utcnow

# Published by UCS.
UPLOAD_RECEIVED = "file.upload_received"
UPLOAD_CANCELED = "file.upload_canceled"
UPLOAD_FAILED = "file.upload_failed"
# Consumed by UCS.
FILE_REGISTERED = "file.registered"
UPLOAD_VALIDATED = "file.upload_validated"

CONSUMED_TYPES = (FILE_REGISTERED, UPLOAD_VALIDATED)


def record_event(event_type: str, payload: dict[str, Any]) -> OutboxEvent:
    """Queue an event in the current transaction; the relay publishes it after the commit."""
    event = OutboxEvent(event_id=str(uuid.uuid4()), type=event_type, occurred_at=utcnow(), payload=payload)
    db.session.add(event)
    return event


@dataclass(frozen=True)
class EventMessage:
    """One event as it travels: the routing key is its type, the body is JSON."""

    event_id: str
    type: str
    occurred_at: datetime
    payload: dict[str, Any]

    @classmethod
    def from_row(cls, row: OutboxEvent) -> EventMessage:
        occurred_at = row.occurred_at
        if occurred_at.tzinfo is None:  # SQLite hands back naive datetimes; UCS stores UTC only
            occurred_at = occurred_at.replace(tzinfo=UTC)
        return cls(row.event_id, row.type, occurred_at, row.payload)

    @property
    def routing_key(self) -> str:
        return self.type

    def body(self) -> bytes:
        document = {
            "event_id": self.event_id,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "payload": self.payload,
        }
        return json.dumps(document, separators=(",", ":")).encode()


class PublishFailed(Exception):
    """The broker did not confirm a message (unreachable, closed the connection, or refused it)."""


class EventPublisher(Protocol):
    """Sends events to a broker. Plugins return one from the ucs_make_event_publisher hook."""

    def publish(self, message: EventMessage) -> None:
        """Return only once the broker has confirmed the message; raise PublishFailed otherwise."""

    def close(self) -> None:
        """Release the connection; publish may be called again afterwards and reconnects."""


class EventSource(Protocol):
    """Delivers consumed events. Plugins return one from the ucs_make_event_source hook."""

    def run(self, handle: Callable[[bytes], Verdict], should_stop: Callable[[], bool]) -> None:
        """Deliver messages to handle until should_stop() is true, acting on each verdict (see Verdict)."""


class Outcome(enum.StrEnum):
    APPLIED = "applied"  # the change is committed
    DUPLICATE = "duplicate"  # a redelivery of an event already applied: nothing changed
    IGNORED = "ignored"  # nothing to change (logged), e.g. a verdict the upload already has
    DEAD_LETTER = "dead_letter"  # cannot be handled: moved to the dead-letter queue with the reason
    RETRY = "retry"  # the database is unavailable: put back and tried again later


@dataclass(frozen=True)
class Verdict:
    """What became of a consumed message, and so what the event source does with it."""

    outcome: Outcome
    reason: str = ""

    @property
    def ack(self) -> bool:
        return self.outcome in (Outcome.APPLIED, Outcome.DUPLICATE, Outcome.IGNORED)


def make_publisher(app) -> EventPublisher | None:
    """The configured broker's publisher, or None when no plugin is configured (events stay in the outbox)."""
    return app.extensions["ucs.plugins"].hook.ucs_make_event_publisher(config=app.config)


def make_source(app) -> EventSource | None:
    """The configured broker's source of consumed events, or None when no broker is configured."""
    return app.extensions["ucs.plugins"].hook.ucs_make_event_source(config=app.config)


def outbox_events(pending_only: bool = False, limit: int | None = None) -> list[OutboxEvent]:
    """Outbox rows oldest first; with pending_only, those not yet confirmed by a broker."""
    query = select(OutboxEvent).order_by(OutboxEvent.id)
    if pending_only:
        query = query.where(OutboxEvent.published_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))

"""The transactional outbox: events written in the transaction of the change they report.

Both commit or neither does. The relay (ucs/events/relay.py) later hands each row to the broker's EventPublisher
and marks it published once the broker has confirmed it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from ucs.db.base import db
from ucs.db.models import OutboxEvent, utcnow
from ucs.events.payloads import PublishedPayload


def record_event(event_type: str, payload: dict[str, Any]) -> OutboxEvent:
    """Queue an event in the current transaction; the relay publishes it after the commit."""
    event = OutboxEvent(event_id=str(uuid.uuid4()), type=event_type, occurred_at=utcnow(), payload=payload)
    db.session.add(event)
    return event


def record(published: PublishedPayload) -> OutboxEvent:
    """Queue one of the events UCS publishes, typed by its payload's class."""
    return record_event(published.type, published.to_payload())


def outbox_events(pending_only: bool = False, limit: int | None = None) -> list[OutboxEvent]:
    """Outbox rows oldest first; with pending_only, those not yet confirmed by a broker."""
    query = select(OutboxEvent).order_by(OutboxEvent.id)
    if pending_only:
        query = query.where(OutboxEvent.published_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))

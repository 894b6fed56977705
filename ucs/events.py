"""Event types and the transactional outbox (DESIGN.md section 6).

An event row is added to the session of the change it reports, so both commit or neither does.
"""

from __future__ import annotations

import uuid
from typing import Any

from ucs.extensions import db
from ucs.models import OutboxEvent, utcnow

UPLOAD_RECEIVED = "file.upload_received"
UPLOAD_CANCELED = "file.upload_canceled"
UPLOAD_FAILED = "file.upload_failed"


def record_event(event_type: str, payload: dict[str, Any]) -> OutboxEvent:
    """Queue an event in the current transaction; the relay publishes it after the commit."""
    event = OutboxEvent(event_id=str(uuid.uuid4()), type=event_type, occurred_at=utcnow(), payload=payload)
    db.session.add(event)
    return event

"""The message every event travels in, both ways: the JSON envelope around a payload (docs/events.md).

UCS writes it with EventMessage.body() and reads what it consumes with EnvelopeSchema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import marshmallow as ma

from ucs.db.models import OutboxEvent


@dataclass(frozen=True)
class EventMessage:
    """One event as it travels: the routing key is its type, the body is JSON."""

    event_id: str
    type: str
    occurred_at: datetime
    payload: dict[str, Any]

    @classmethod
    def from_row(cls, row: OutboxEvent) -> EventMessage:
        return cls(row.event_id, row.type, row.occurred_at, row.payload)

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


class EnvelopeSchema(ma.Schema):
    """The body of every consumed message; unknown fields are ignored so producers can add some."""

    class Meta:
        unknown = ma.EXCLUDE

    event_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    type = ma.fields.String(required=True)
    occurred_at = ma.fields.AwareDateTime(load_default=None)
    payload = ma.fields.Dict(keys=ma.fields.String(), required=True)

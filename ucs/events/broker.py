"""What a broker plugin provides: a publisher for the outbox, a source of consumed events (docs/plugins.md).

Plugins return these from the ucs_make_event_publisher and ucs_make_event_source hooks; the relay and
the consumer use them without knowing the broker.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ucs.events.messages import EventMessage
from ucs.hookspecs import PLUGINS_EXTENSION


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
    return app.extensions[PLUGINS_EXTENSION].hook.ucs_make_event_publisher(config=app.config)


def make_source(app) -> EventSource | None:
    """The configured broker's source of consumed events, or None when no broker is configured."""
    return app.extensions[PLUGINS_EXTENSION].hook.ucs_make_event_source(config=app.config)

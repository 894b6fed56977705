"""ucs_events_published_total and ucs_events_consumed_total, counted around the publisher and the handler."""

from __future__ import annotations

import json
from collections.abc import Callable

from ucs.events import CONSUMED_TYPES, EventMessage, EventPublisher, Outcome, Verdict
from ucs.observability import metrics

# The outcome label: what became of a consumed message.
OUTCOME_LABELS = {
    Outcome.APPLIED: "applied",
    Outcome.DUPLICATE: "duplicate",
    Outcome.IGNORED: "ignored",
    Outcome.DEAD_LETTER: "dead-lettered",
    Outcome.RETRY: "retried",
}
# Types come from other services' messages: anything UCS does not consume is one label value.
OTHER_TYPE = "other"


class CountingPublisher:
    """An EventPublisher that counts each event the broker confirmed."""

    def __init__(self, publisher: EventPublisher):
        self.publisher = publisher

    def publish(self, message: EventMessage) -> None:
        self.publisher.publish(message)
        metrics.EVENTS_PUBLISHED.labels(message.type).inc()

    def close(self) -> None:
        self.publisher.close()


def counting_handler(handle: Callable[[bytes], Verdict]) -> Callable[[bytes], Verdict]:
    """The consumer's message handler, counting each message by type and outcome."""

    def handle_and_count(body: bytes) -> Verdict:
        verdict = handle(body)
        metrics.EVENTS_CONSUMED.labels(event_type(body), OUTCOME_LABELS[verdict.outcome]).inc()
        return verdict

    return handle_and_count


def event_type(body: bytes) -> str:
    """The message's type when UCS consumes that type, else "other" (also for bodies that are not events)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return OTHER_TYPE
    kind = document.get("type") if isinstance(document, dict) else None
    return kind if kind in CONSUMED_TYPES else OTHER_TYPE

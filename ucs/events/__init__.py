"""Events: what UCS publishes and consumes, the outbox, and what a broker plugin provides (docs/events.md).

`ucs.events` is the one import path for all of it, for UCS's own modules and for plugins alike:
payloads.py (event types and payloads), outbox.py (writing events), messages.py (the envelope) and
broker.py (publisher, source and verdicts). The relay that publishes the outbox, relay.py, is
imported by its path (`ucs.events.relay`), for it needs Flask and the app. docs/architecture.md, "Events", tells how they fit.
"""

from ucs.events.broker import (
    EventPublisher,
    EventSource,
    Outcome,
    PublishFailed,
    Verdict,
    make_publisher,
    make_source,
)
from ucs.events.messages import EnvelopeSchema, EventMessage
from ucs.events.outbox import outbox_events, record, record_event
from ucs.events.payloads import (
    CONSUMED_SCHEMAS,
    CONSUMED_TYPES,
    FILE_REGISTERED,
    FIXITY_FAILED,
    UPLOAD_ACCEPTED,
    UPLOAD_CANCELED,
    UPLOAD_FAILED,
    UPLOAD_RECEIVED,
    UPLOAD_REJECTED,
    UPLOAD_VALIDATED,
    FixityFailed,
    PublishedPayload,
    UploadAccepted,
    UploadCanceled,
    UploadEnded,
    UploadFailed,
    UploadJudged,
    UploadReceived,
    UploadRejected,
)

__all__ = [
    "CONSUMED_SCHEMAS",
    "CONSUMED_TYPES",
    "FILE_REGISTERED",
    "FIXITY_FAILED",
    "UPLOAD_ACCEPTED",
    "UPLOAD_CANCELED",
    "UPLOAD_FAILED",
    "UPLOAD_RECEIVED",
    "UPLOAD_REJECTED",
    "UPLOAD_VALIDATED",
    "EnvelopeSchema",
    "EventMessage",
    "EventPublisher",
    "EventSource",
    "Outcome",
    "PublishFailed",
    "FixityFailed",
    "PublishedPayload",
    "UploadAccepted",
    "UploadCanceled",
    "UploadEnded",
    "UploadFailed",
    "UploadJudged",
    "UploadReceived",
    "UploadRejected",
    "Verdict",
    "make_publisher",
    "make_source",
    "outbox_events",
    "record",
    "record_event",
]

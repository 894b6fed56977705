"""Applying consumed events to the database, whatever broker delivered them (docs/events.md).

Each event is applied in one transaction together with a ProcessedEvent row holding its id; the broker
message is acknowledged only after that commit. A redelivered event finds its id and changes nothing,
so at-least-once delivery becomes exactly-once application.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from ucs import events
from ucs.db.base import db
from ucs.db.models import ProcessedEvent
from ucs.db.queries import get_upload
from ucs.events import CONSUMED_SCHEMAS, EnvelopeSchema, Outcome, Verdict
from ucs.operations.life_cycle import record_validation
from ucs.operations.registration import register_file
from ucs.problems import UploadError
from ucs.validation_modes import EXTERNAL

log = logging.getLogger("ucs.consumer")  # the name logs have always carried (docs/operations.md)

# The actor of verdicts, in the audit log: events carry no token, so no subject of their own.
VALIDATOR = "validator (file.upload_validated event)"


def apply_file_registered(payload: Mapping[str, Any]) -> Outcome:
    """Create the file, or update its expected size and checksum."""
    register_file(payload["file_id"], payload["size"], payload["sha256"], commit=False)
    return Outcome.APPLIED


def apply_upload_validated(payload: Mapping[str, Any]) -> Outcome:
    """Move an uploaded upload to accepted or rejected; the same verdict again changes nothing."""
    upload = get_upload(payload["upload_id"], for_update=True)
    if upload.upload_status is payload["outcome"]:
        log.info("upload %s is already %s: nothing to change", upload.s3_upload_id, payload["outcome"])
        return Outcome.IGNORED
    record_validation(upload.s3_upload_id, payload["outcome"], payload["reason"], VALIDATOR)
    return Outcome.APPLIED


HANDLERS: dict[str, Callable[[Mapping[str, Any]], Outcome]] = {
    events.FILE_REGISTERED: apply_file_registered,
    events.UPLOAD_VALIDATED: apply_upload_validated,
}


class Unhandleable(Exception):
    """The message can never be applied: it goes to the dead-letter queue with this reason."""


def parse(
    body: bytes, validation: str = EXTERNAL
) -> tuple[dict[str, Any], Callable[[Mapping[str, Any]], Outcome], dict[str, Any]]:
    """Return the envelope, the handler for its type and the checked payload, or raise Unhandleable.

    A body the JSON parser cannot decode, for whatever reason, is poison: no redelivery decodes it.
    """
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Unhandleable(f"malformed JSON: {error}") from None
    except RecursionError:
        raise Unhandleable("malformed JSON: nested deeper than the parser goes") from None
    except Exception as error:  # whatever else json.loads raises on some input: the body's fault too
        raise Unhandleable(f"malformed JSON: {type(error).__name__}: {error}") from None
    if not isinstance(document, dict):
        raise Unhandleable(f"malformed event: a JSON object was expected, not {type(document).__name__}")
    try:
        envelope = EnvelopeSchema().load(document)
    except ma.ValidationError as error:
        raise Unhandleable(f"malformed event: {_messages(error)}") from None
    if envelope["type"] not in HANDLERS:
        raise Unhandleable(f"unknown event type {envelope['type']!r}: UCS consumes {', '.join(HANDLERS)}")
    if envelope["type"] == events.UPLOAD_VALIDATED and validation != EXTERNAL:
        raise Unhandleable(
            f"UCS_VALIDATION is {validation}, not external: UCS takes no verdict from {events.UPLOAD_VALIDATED} "
            "events (docs/validation.md)"
        )
    apply = HANDLERS[envelope["type"]]
    try:
        payload = CONSUMED_SCHEMAS[envelope["type"]]().load(envelope["payload"])
    except ma.ValidationError as error:
        raise Unhandleable(f"invalid {envelope['type']} payload: {_messages(error)}") from None
    return envelope, apply, payload


def _messages(error: ma.ValidationError) -> str:
    messages = error.messages if isinstance(error.messages, dict) else {"": error.messages}
    return "; ".join(f"{field}: {' '.join(map(str, problems))}" for field, problems in messages.items())


def handle_message(body: bytes, validation: str = EXTERNAL) -> Verdict:
    """Apply one message in one transaction, remembering its event id; never raises. Needs an app context.

    What escapes the handling below is a bug in UCS, or a database error while recovering from an error:
    the first is dead-lettered (it would fail on every delivery and block the queue), the second treated
    as any database failure, retried while the database is unreachable (docs/events.md, "Poison messages").
    validation is UCS_VALIDATION: file.upload_validated verdicts are dead-lettered unless it is external.
    """
    try:
        return _handle(body, validation)
    except Exception as error:
        _forget_transaction()
        if isinstance(error, DBAPIError):
            return _database_failure(error, "a message")
        log.exception("a message could not be handled")
        return _dead_letter(f"internal error: {type(error).__name__}: {str(error)[:500]}")


def _forget_transaction() -> None:
    """Roll back whatever the failed handling left; on a dead connection, drop the session's connections."""
    try:
        db.session.rollback()
    except Exception:
        with contextlib.suppress(Exception):
            db.session.invalidate()


def _handle(body: bytes, validation: str) -> Verdict:
    try:
        envelope, apply, payload = parse(body, validation)
    except Unhandleable as error:
        return _dead_letter(str(error))
    event_id, event_type = envelope["event_id"], envelope["type"]
    try:
        if db.session.get(ProcessedEvent, event_id) is not None:
            db.session.rollback()
            log.info("event %s (%s) was already applied: acknowledging the redelivery", event_id, event_type)
            return Verdict(Outcome.DUPLICATE)
        outcome = apply(payload)
        db.session.add(ProcessedEvent(event_id=event_id, type=event_type))
        db.session.commit()
    except UploadError as error:
        db.session.rollback()
        return _dead_letter(f"{event_type} {event_id}: {error}")
    except IntegrityError:
        # Another consumer committed the same event id between our check and our commit.
        db.session.rollback()
        if db.session.get(ProcessedEvent, event_id) is not None:
            return Verdict(Outcome.DUPLICATE)
        log.exception("event %s could not be stored", event_id)
        return _dead_letter(f"{event_type} {event_id}: the database refused the change")
    except DBAPIError as error:
        db.session.rollback()
        return _database_failure(error, f"{event_type} {event_id}")
    except Exception as error:
        db.session.rollback()
        log.exception("event %s: unexpected error", event_id)
        return _dead_letter(f"{event_type} {event_id}: internal error: {type(error).__name__}: {error}")
    log.info("event %s (%s): %s", event_id, event_type, outcome)
    return Verdict(outcome)


# PostgreSQL's SQLSTATEs for undefined_table and undefined_column; SQLite only says it in words.
MISSING_SCHEMA_SQLSTATES = {"42P01", "42703"}
MISSING_SCHEMA_MESSAGES = ("no such table", "no such column")


def schema_is_missing(error: DBAPIError) -> bool:
    """True when a table or column UCS needs does not exist: an unmigrated database, which no wait cures."""
    return getattr(error.orig, "sqlstate", None) in MISSING_SCHEMA_SQLSTATES or str(error.orig).startswith(
        MISSING_SCHEMA_MESSAGES
    )


def _database_failure(error: DBAPIError, what: str) -> Verdict:
    """Retry while the database is unreachable; dead-letter what waiting cannot cure."""
    problem = str(error.orig or error).partition("\n")[0]
    if schema_is_missing(error):
        return _dead_letter(f"{what}: the database lacks UCS's schema ({problem}): run `ucs db upgrade`")
    if isinstance(error, (OperationalError, InterfaceError)):
        log.warning("%s: database unavailable, will retry: %s", what, error.orig or error)
        return Verdict(Outcome.RETRY, str(error.orig or error))
    log.exception("%s: the database refused the statement", what)
    return _dead_letter(f"{what}: internal error: {type(error).__name__}: {problem}")


def _dead_letter(reason: str) -> Verdict:
    log.warning("dead-lettering a message: %s", reason)
    return Verdict(Outcome.DEAD_LETTER, reason)

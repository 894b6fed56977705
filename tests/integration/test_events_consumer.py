"""`ucs events consume` as a real process against the machine's RabbitMQ, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from tests.integration.test_migrations import empty_database  # noqa: F401 (a fixture)
from tests.support.databases import empty_tables
from tests.support.processes import free_port
from tests.support.rabbitmq import (
    broker,  # noqa: F401 (a fixture)
    drain,
    message_count,
    running_consumer,
    wait_for,
)
from ucs.db.base import db
from ucs.db.models import File, MultipartUpload, ProcessedEvent
from ucs.events import Outcome
from ucs.operations.consumer import handle_message
from ucs.uploads import UploadStatus
from ucs_plugins.rabbitmq import REASON_HEADER

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

# The consumer child process dies here: after its database commit, before its acknowledgement.
KILL_BEFORE_ACK = """
import os, signal
from pika.adapters.blocking_connection import BlockingChannel
BlockingChannel.basic_ack = lambda self, *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def app(make_app, database_url, broker):  # noqa: F811
    app = make_app(DATABASE_URL=database_url, **broker.settings())
    empty_tables(app)
    return app


@pytest.fixture
def consumer_env(database_url, tmp_path):
    return {
        "UCS_DATABASE_URL": database_url,
        "UCS_INSTANCE_PATH": str(tmp_path / "instance"),
        "UCS_LOAD_ENTRY_POINTS": "false",
        "UCS_VALIDATION": "external",  # verdicts come as events
    }


def event(event_type: str, **payload) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": "2026-11-25T01:00:00+00:00",
        "payload": payload,
    }


def seed_upload(app, file_id: str, status: UploadStatus) -> str:
    """A file with one upload in the given status, written straight to the database."""
    upload_id = uuid.uuid4().hex
    with app.app_context():
        db.session.add(File(file_id=file_id, s3_upload_id=upload_id))
        db.session.add(
            MultipartUpload(
                s3_upload_id=upload_id,
                file_id=file_id,
                upload_status=status,
                part_size=16 * 1024 * 1024,
                backend="filesystem",
                bucket="local",
                key=f"{file_id}/object",
            )
        )
        db.session.commit()
    return upload_id


def upload_status(app, upload_id: str) -> UploadStatus:
    with app.app_context():
        return db.session.get(MultipartUpload, upload_id).upload_status


def file_row(app, file_id: str) -> tuple[int | None, str | None] | None:
    with app.app_context():
        file = db.session.get(File, file_id)
        return None if file is None else (file.size, file.sha256)


def processed_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProcessedEvent))


def test_events_are_applied_once_and_redeliveries_change_nothing(app, broker, consumer_env, tmp_path):  # noqa: F811
    upload_id = seed_upload(app, "validated.bam", UploadStatus.UPLOADED)
    registered = event("file.registered", file_id="sample.cram", size=1234, sha256="a" * 64)
    validated = event("file.upload_validated", upload_id=upload_id, outcome="rejected", reason="bad checksum")

    with running_consumer(broker, consumer_env, tmp_path / "consumer.log"):
        broker.publish("file.registered", registered)
        broker.publish("file.upload_validated", validated)
        wait_for(lambda: processed_count(app) == 2, what="both events applied")
        assert file_row(app, "sample.cram") == (1234, "a" * 64)
        assert upload_status(app, upload_id) is UploadStatus.REJECTED

        # The same event id again (a producer's retry) with other content: nothing changes.
        broker.publish("file.registered", {**registered, "payload": {"file_id": "sample.cram", "size": 1}})
        # A second event with the verdict the upload already has: a logged no-op.
        broker.publish("file.upload_validated", {**validated, "event_id": str(uuid.uuid4())})
        wait_for(lambda: processed_count(app) == 3, what="the repeated verdict noted")
        wait_for(lambda: message_count(broker.queue) == 0, what="the queue drained")

    assert file_row(app, "sample.cram") == (1234, "a" * 64)
    assert upload_status(app, upload_id) is UploadStatus.REJECTED
    assert message_count(broker.dead_letter_queue) == 0
    log = (tmp_path / "consumer.log").read_text()
    assert f"event {registered['event_id']} (file.registered) was already applied" in log
    assert "is already rejected: nothing to change" in log


def test_a_consumer_killed_between_commit_and_ack_applies_nothing_twice(
    app,
    broker,  # noqa: F811
    consumer_env,
    tmp_path,
):
    registered = event("file.registered", file_id="killed.fastq", size=100)
    with running_consumer(broker, consumer_env, tmp_path / "killed.log", KILL_BEFORE_ACK) as doomed:
        broker.publish("file.registered", registered)
        wait_for(lambda: doomed.poll() is not None, what="the consumer killed before its ack")
    assert doomed.returncode == -9
    assert file_row(app, "killed.fastq") == (100, None)  # committed

    # The broker still holds the unacknowledged message; meanwhile the file changes by another route.
    wait_for(lambda: message_count(broker.queue) == 1, what="the message back in the queue")
    with app.app_context():
        db.session.get(File, "killed.fastq").size = 200
        db.session.commit()

    with running_consumer(broker, consumer_env, tmp_path / "survivor.log"):
        wait_for(lambda: message_count(broker.queue) == 0, what="the redelivery acknowledged")
        wait_for(lambda: "already applied" in (tmp_path / "survivor.log").read_text(), what="the log line")

    assert file_row(app, "killed.fastq") == (200, None)  # applying it again would have restored 100
    assert processed_count(app) == 1
    assert message_count(broker.dead_letter_queue) == 0


def test_unhandleable_messages_are_dead_lettered_with_the_reason_and_the_consumer_goes_on(
    app,
    broker,  # noqa: F811
    consumer_env,
    tmp_path,
):
    pending_id = seed_upload(app, "still-pending.bam", UploadStatus.PENDING)
    accepted_id = seed_upload(app, "accepted.bam", UploadStatus.ACCEPTED)
    bad = {
        "malformed": (b'{"event_id": "x", "type": ', "malformed JSON"),
        "not-an-object": (b'["file.registered"]', "a JSON object was expected"),
        "no-event-id": (b'{"type": "file.registered", "payload": {}}', "event_id"),
        "unknown-type": (event("file.deleted", file_id="x"), "unknown event type 'file.deleted'"),
        "bad-file-id": (event("file.registered", file_id="../etc/passwd"), "invalid file_id"),
        "bad-outcome": (event("file.upload_validated", upload_id=pending_id, outcome="maybe"), "outcome"),
        "unknown-upload": (
            event("file.upload_validated", upload_id="no-such-upload", outcome="accepted"),
            "no multipart upload with id 'no-such-upload'",
        ),
        "not-yet-uploaded": (
            event("file.upload_validated", upload_id=pending_id, outcome="accepted"),
            "upload is pending; it cannot become accepted",
        ),
        "verdict-changed": (
            event("file.upload_validated", upload_id=accepted_id, outcome="rejected"),
            "upload is accepted; it cannot become rejected",
        ),
    }
    good = event("file.registered", file_id="after-the-bad-ones.vcf")

    with running_consumer(broker, consumer_env, tmp_path / "consumer.log") as process:
        for message_id, (body, _) in bad.items():
            # The queue is bound to the consumed types only: anything else arrives under one of them.
            routing_key = (
                "file.upload_validated" if b"upload_validated" in str(body).encode() else "file.registered"
            )
            broker.publish(routing_key, body, message_id=message_id)
        broker.publish("file.registered", good)
        wait_for(lambda: file_row(app, "after-the-bad-ones.vcf"), what="the good event applied")
        dead = drain(broker.dead_letter_queue, expected=len(bad))
        assert process.poll() is None  # still running

    reasons = {message.properties.message_id: message.properties.headers[REASON_HEADER] for message in dead}
    assert sorted(reasons) == sorted(bad)
    for message_id, (_, reason) in bad.items():
        assert reason in reasons[message_id], (message_id, reasons[message_id])
    assert upload_status(app, pending_id) is UploadStatus.PENDING
    assert upload_status(app, accepted_id) is UploadStatus.ACCEPTED
    assert processed_count(app) == 1
    assert message_count(broker.queue) == 0


def test_an_unreachable_database_means_retry_later_not_dead_letter(make_app):
    app = make_app(DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    with app.app_context():
        verdict = handle_message(json.dumps(event("file.registered", file_id="later.bam")).encode())
    assert verdict.outcome is Outcome.RETRY
    assert not verdict.ack
    assert "127.0.0.1" in verdict.reason


def test_a_database_without_the_schema_dead_letters_saying_to_migrate(make_app, empty_database):  # noqa: F811
    """Waiting cannot create missing tables: retrying would hold the queue forever, on either database."""
    app = make_app(DATABASE_URL=empty_database)
    with app.app_context():
        verdict = handle_message(json.dumps(event("file.registered", file_id="early.bam")).encode())
        db.engine.dispose()
    assert verdict.outcome is Outcome.DEAD_LETTER
    assert "run `ucs db upgrade`" in verdict.reason
    assert verdict.reason.startswith("file.registered ")

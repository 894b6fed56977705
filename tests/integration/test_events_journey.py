"""The upload journey's events: recorded with the change, kept without a broker, published once."""

from __future__ import annotations

import hashlib
import os

import pytest
from sqlalchemy import select

from tests.support.databases import empty_tables
from tests.support.rabbitmq import (
    broker,  # noqa: F401 (a fixture)
    drain,
    start_upload_through_api,
    upload_through_api,
)
from tests.support.tokens import staff_client
from ucs.cli.main import main
from ucs.db.base import db
from ucs.db.models import MultipartUpload, OutboxEvent

pytestmark = pytest.mark.rabbitmq


def run(app, *arguments: str):
    """Run `ucs <arguments>` against app and return click's result."""
    return app.test_cli_runner().invoke(main, list(arguments))


def test_the_journey_yields_one_upload_received_event_even_when_the_broker_comes_later(
    make_app,
    database_url,
    broker,  # noqa: F811
):
    embedded = make_app(DATABASE_URL=database_url)  # no AMQP_URL: the embedded default
    empty_tables(embedded)
    data = os.urandom(256 * 1024)
    upload_id = upload_through_api(staff_client(embedded), "journey.cram", data)

    pending = run(embedded, "events", "list", "--pending")
    assert pending.exit_code == 0, pending.output
    [line] = pending.stdout.splitlines()
    assert line.split("\t")[1:2] == ["pending"] and "\tfile.upload_received\t" in line and upload_id in line
    refused = run(embedded, "events", "relay", "--once")
    assert refused.exit_code == 1 and "no event broker is configured: set UCS_AMQP_URL" in refused.output

    tap = broker.tap()
    configured = make_app(DATABASE_URL=database_url, **broker.settings())
    assert run(configured, "events", "relay", "--once").stdout == "published 1 event(s)\n"
    assert run(configured, "events", "relay", "--once").stdout == "published 0 event(s)\n"
    [message] = drain(tap, expected=1)

    with configured.app_context():
        upload = db.session.get(MultipartUpload, upload_id)
        [row] = db.session.scalars(select(OutboxEvent)).all()
        assert row.published_at is not None
        expected_payload = {
            "file_id": "journey.cram",
            "upload_id": upload_id,
            "backend": "filesystem",
            "bucket": upload.bucket,
            "key": upload.key,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "etag": upload.etag,
            "actor": "staff",
        }
    document = message.document
    assert document == {
        "event_id": row.event_id,
        "type": "file.upload_received",
        "occurred_at": document["occurred_at"],
        "payload": expected_payload,
    }
    assert document["occurred_at"].endswith("+00:00")
    assert message.routing_key == "file.upload_received"
    assert message.properties.message_id == row.event_id
    assert message.properties.delivery_mode == 2  # persistent
    assert message.properties.content_type == "application/json"
    assert run(configured, "events", "list", "--pending").stdout == ""


def test_the_relay_inside_the_server_publishes_cancel_and_failure_events(
    make_app,
    sqlite_url,
    broker,  # noqa: F811
):
    app = make_app(DATABASE_URL=sqlite_url, EVENTS_RELAY_IN_SERVER=True, **broker.settings())
    tap = broker.tap()
    client = staff_client(app)
    for file_id in ("canceled.bam", "failed.bam"):
        assert client.put(f"/files/{file_id}", json={"size": 10}).status_code == 201
    canceled_id = start_upload_through_api(client, "canceled.bam")
    assert client.patch(f"/multipart_uploads/{canceled_id}", json={"status": "cancelled"}).status_code == 204
    failed_id = start_upload_through_api(client, "failed.bam")
    refused = client.patch(
        f"/multipart_uploads/{failed_id}",
        json={"status": "uploaded", "parts": [{"part_no": 1, "etag": "never-stored"}]},
    )
    assert refused.status_code == 400

    try:
        messages = drain(tap, expected=2)
    finally:
        assert app.extensions["ucs.relay"].stop()

    by_type = {message.routing_key: message.document["payload"] for message in messages}
    assert len(messages) == 2
    assert by_type["file.upload_canceled"] == {
        "file_id": "canceled.bam",
        "upload_id": canceled_id,
        "reason": "canceled by the client",
        "actor": "staff",
    }
    assert by_type["file.upload_failed"]["upload_id"] == failed_id
    assert by_type["file.upload_failed"]["file_id"] == "failed.bam"
    assert by_type["file.upload_failed"]["reason"]
    assert run(app, "events", "list", "--pending").stdout == ""

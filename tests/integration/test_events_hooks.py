"""The event hooks with stub brokers (a real SQLite database): what the relay and consumer do with plugins."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import select

import ucs.events.relay
from tests.support.databases import empty_tables
from ucs import events
from ucs.cli.main import main
from ucs.db.base import db
from ucs.db.models import File, OutboxEvent
from ucs.events import EventMessage, Outcome, PublishFailed, make_publisher, make_source
from ucs.events.relay import relay_from_config
from ucs.hookspecs import hookimpl
from ucs_plugins.rabbitmq import RabbitPublisher, RabbitSource


class StubPublisher:
    """Confirms every message until the fail_at-th one, which it refuses like an unreachable broker."""

    def __init__(self, fail_at: int | None = None):
        self.fail_at = fail_at
        self.published: list[EventMessage] = []
        self.closed = 0

    def publish(self, message: EventMessage) -> None:
        if self.fail_at is not None and len(self.published) + 1 == self.fail_at:
            self.fail_at = None
            raise PublishFailed("stub broker unreachable")
        self.published.append(message)

    def close(self) -> None:
        self.closed += 1


class StubSource:
    """Hands the consumer a fixed list of message bodies and records each verdict."""

    def __init__(self, bodies: list[bytes]):
        self.bodies = bodies
        self.verdicts: list[events.Verdict] = []

    def run(self, handle, should_stop) -> None:
        self.verdicts = [handle(body) for body in self.bodies]


class StubBrokerPlugin:
    def __init__(self, publisher=None, source=None):
        self.publisher = publisher
        self.source = source

    @hookimpl
    def ucs_make_event_publisher(self, config):
        return self.publisher

    @hookimpl
    def ucs_make_event_source(self, config):
        return self.source


@pytest.fixture
def app(make_app, sqlite_url):
    app = make_app(DATABASE_URL=sqlite_url)
    empty_tables(app)
    return app


def test_hook_ucs_make_event_publisher(make_app, app):
    assert make_publisher(app) is None  # no AMQP_URL: the rabbitmq plugin stays silent
    configured = make_app(AMQP_URL="amqp://guest:guest@127.0.0.1:5672/%2F")
    assert isinstance(make_publisher(configured), RabbitPublisher)
    stub = StubPublisher()
    configured.extensions["ucs.plugins"].register(StubBrokerPlugin(publisher=stub))
    assert make_publisher(configured) is stub  # a plugin registered later answers first


def test_hook_ucs_make_event_source(make_app, app):
    assert make_source(app) is None
    assert isinstance(make_source(make_app(AMQP_URL="amqp://127.0.0.1/")), RabbitSource)


def test_the_relay_marks_sent_only_what_the_broker_confirmed(app):
    stub = StubPublisher(fail_at=3)
    app.extensions["ucs.plugins"].register(StubBrokerPlugin(publisher=stub))
    with app.app_context():
        recorded = [events.record_event(events.UPLOAD_FAILED, {"number": n}).event_id for n in range(5)]
        db.session.commit()
        relay = relay_from_config(app)
        with pytest.raises(PublishFailed):
            relay.publish_batch()
        sent = {
            row.event_id: row.published_at is not None
            for row in db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        }
        assert sent == {event_id: index < 2 for index, event_id in enumerate(recorded)}

        assert relay.publish_pending() == 3
    assert [message.event_id for message in stub.published] == recorded  # in order, each once


def test_the_in_server_relay_publishes_and_is_stopped_at_exit(make_app, sqlite_url, monkeypatch):
    """The relay thread starts with the first request, which sends what an earlier run left; the exit hook
    it registers ends it cleanly, and later requests do not start it again. It takes its publisher from
    whichever broker plugin answers the hook: no UCS_AMQP_URL, which is the rabbitmq plugin's alone."""
    exit_hooks = []
    monkeypatch.setattr(ucs.events.relay.atexit, "register", exit_hooks.append)
    app = make_app(DATABASE_URL=sqlite_url, EVENTS_RELAY_IN_SERVER=True)
    empty_tables(app)
    stub = StubPublisher()
    app.extensions["ucs.plugins"].register(StubBrokerPlugin(publisher=stub))
    with app.app_context():
        left_over = events.record_event(events.UPLOAD_FAILED, {"number": 1}).event_id
        db.session.commit()
    assert exit_hooks == []  # no thread before the first request
    app.test_client().get("/health")
    [thread] = [t for t in threading.enumerate() if t.name == "ucs-events-relay"]
    deadline = time.monotonic() + 10
    while not stub.published and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [message.event_id for message in stub.published] == [left_over]

    [stop] = exit_hooks
    assert stop() is True
    assert not thread.is_alive()
    assert stub.closed == 1  # the publisher's connection was closed, not dropped
    app.test_client().get("/health")
    assert not any(t.name == "ucs-events-relay" for t in threading.enumerate())  # not started again


def test_the_in_server_relay_without_a_broker_plugin_warns_and_runs_none(make_app, sqlite_url, caplog):
    app = make_app(DATABASE_URL=sqlite_url, EVENTS_RELAY_IN_SERVER=True)  # rabbitmq without UCS_AMQP_URL
    app.test_client().get("/health")
    assert (
        "EVENTS_RELAY_IN_SERVER is set but no event broker plugin answered: no relay runs" in caplog.messages
    )
    assert not any(t.name == "ucs-events-relay" for t in threading.enumerate())


def test_ucs_events_consume_applies_what_the_source_delivers(app):
    good = {
        "event_id": "e-1",
        "type": "file.registered",
        "payload": {"file_id": "from-a-plugin.bam", "size": 5},
    }
    source = StubSource([json.dumps(good).encode(), b"not json", json.dumps(good).encode()])
    app.extensions["ucs.plugins"].register(StubBrokerPlugin(source=source))
    result = app.test_cli_runner().invoke(main, ["events", "consume"])
    assert result.exit_code == 0, result.output
    assert [verdict.outcome for verdict in source.verdicts] == [
        Outcome.APPLIED,
        Outcome.DEAD_LETTER,
        Outcome.DUPLICATE,
    ]
    assert source.verdicts[1].reason.startswith("malformed JSON")
    with app.app_context():
        assert db.session.get(File, "from-a-plugin.bam").size == 5


def test_ucs_events_consume_and_relay_refuse_to_start_without_a_broker(app):
    for command in ("consume", "relay"):
        result = app.test_cli_runner().invoke(main, ["events", command])
        assert result.exit_code == 1
        assert "no event broker is configured: set UCS_AMQP_URL" in result.output

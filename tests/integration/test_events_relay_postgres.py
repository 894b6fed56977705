"""Relays sharing one PostgreSQL outbox: FOR UPDATE SKIP LOCKED keeps each event to one publication."""

from __future__ import annotations

import collections
import re

import pytest
from sqlalchemy import func, select

from tests.support.databases import empty_tables
from tests.support.rabbitmq import (
    broker,  # noqa: F401 (a fixture)
    drain,
    ucs_command,
    wait_for,
)
from ucs import events
from ucs.db.base import db
from ucs.db.models import OutboxEvent
from ucs.events.relay import relay_from_config

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]

EVENTS = 400


@pytest.fixture
def app(make_app, postgres_url, broker):  # noqa: F811
    app = make_app(DATABASE_URL=postgres_url, **broker.settings())
    empty_tables(app)
    return app


def record_events(app, count: int) -> list[str]:
    """count events committed in one transaction; returns their ids in outbox order."""
    with app.app_context():
        rows = [events.record_event(events.UPLOAD_RECEIVED, {"number": number}) for number in range(count)]
        db.session.commit()
        return [row.event_id for row in rows]


def pending(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        )


def test_a_relay_passes_over_the_rows_another_relay_has_locked(app, broker):  # noqa: F811
    event_ids = record_events(app, 6)
    tap = broker.tap()
    with app.app_context():
        relay = relay_from_config(app)
        with db.engine.connect() as other_relay:
            # Another relay's open transaction holds the three oldest rows.
            other_relay.execute(select(OutboxEvent.id).order_by(OutboxEvent.id).limit(3).with_for_update())
            assert relay.publish_batch() == 3
            assert [m.properties.message_id for m in drain(tap, expected=3)] == event_ids[3:]
            other_relay.rollback()
        assert relay.publish_batch() == 3
        assert relay.publish_batch() == 0
        relay.publisher.close()
    assert [m.properties.message_id for m in drain(tap, expected=3)] == event_ids[:3]


@pytest.mark.slow
def test_two_relays_on_one_outbox_publish_each_event_once(app, broker, postgres_url, tmp_path):  # noqa: F811
    tap = broker.tap()
    env = {
        **broker.environment(),
        "UCS_DATABASE_URL": postgres_url,
        "UCS_INSTANCE_PATH": str(tmp_path / "instance"),
        "UCS_LOAD_ENTRY_POINTS": "false",
        "UCS_EVENTS_RELAY_BATCH_SIZE": "5",
    }
    logs = [tmp_path / "relay-1.log", tmp_path / "relay-2.log"]
    with ucs_command(["events", "relay"], env, logs[0]), ucs_command(["events", "relay"], env, logs[1]):
        wait_for(
            lambda: all("publishing the outbox" in log.read_text() for log in logs), what="both relays up"
        )
        produced = record_events(app, EVENTS)
        wait_for(lambda: pending(app) == 0, timeout=60, what="the outbox drained")

    delivered = drain(tap, expected=EVENTS)
    counts = collections.Counter(message.properties.message_id for message in delivered)
    per_relay = [sum(map(int, re.findall(r"published (\d+) event", log.read_text()))) for log in logs]
    print(
        f"two relays: produced {EVENTS}, delivered {len(counts)}, per relay {per_relay}, "
        f"duplicated {sum(c - 1 for c in counts.values())}, lost {len(set(produced) - set(counts))}"
    )
    assert set(counts) == set(produced)
    assert max(counts.values()) == 1
    assert sum(per_relay) == EVENTS
    assert min(per_relay) > 0  # both relays really took part

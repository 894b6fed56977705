"""The broker unreachable while uploads complete: every event arrives once it returns, none twice.

The relay (`ucs events relay`, a real process) reaches RabbitMQ through a TCP proxy that the test cuts and
restores, so other tests sharing the broker are not disturbed.
"""

from __future__ import annotations

import collections
import os
import time
import uuid

import pytest
from sqlalchemy import func, select

from tests.support.databases import empty_tables
from tests.support.rabbitmq import (
    broker,  # noqa: F401 (a fixture)
    drain,
    running_consumer,
    start_upload_through_api,
    ucs_command,
    upload_through_api,
    wait_for,
)
from tests.support.tcp_proxy import TcpProxy
from tests.support.tokens import staff_client
from ucs.db.base import db
from ucs.db.models import File, OutboxEvent

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

UPLOADS_BEFORE, UPLOADS_DURING, CANCELS_DURING = 3, 8, 4


@pytest.fixture
def proxy():
    proxy = TcpProxy(5672).start()
    yield proxy
    proxy.cut()


def pending(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        )


def all_event_ids(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(OutboxEvent.event_id)))


def test_events_recorded_while_the_broker_is_unreachable_arrive_once_it_returns(
    make_app,
    database_url,
    broker,  # noqa: F811
    proxy,
    tmp_path,
):
    app = make_app(DATABASE_URL=database_url)
    empty_tables(app)
    client = staff_client(app)
    tap = broker.tap()
    env = {
        **broker.environment(f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F"),
        "UCS_DATABASE_URL": database_url,
        "UCS_INSTANCE_PATH": str(tmp_path / "relay-instance"),
        "UCS_LOAD_ENTRY_POINTS": "false",
    }
    log = tmp_path / "relay.log"
    with ucs_command(["events", "relay"], env, log):
        for number in range(UPLOADS_BEFORE):
            upload_through_api(client, f"before-{number}.bam", os.urandom(4096))
        wait_for(lambda: pending(app) == 0, what="the first events published")

        proxy.cut()
        for number in range(UPLOADS_DURING):
            upload_through_api(client, f"during-{number}.bam", os.urandom(4096))
        for number in range(CANCELS_DURING):
            client.put(f"/files/canceled-{number}.bam", json={})
            upload_id = start_upload_through_api(client, f"canceled-{number}.bam")
            assert (
                client.patch(f"/multipart_uploads/{upload_id}", json={"status": "cancelled"}).status_code
                == 204
            )
        wait_for(lambda: "broker unavailable" in log.read_text(), what="the relay noticing the outage")
        time.sleep(1)  # a few more failed attempts
        assert pending(app) == UPLOADS_DURING + CANCELS_DURING  # nothing marked sent without a confirm

        proxy.restore()
        wait_for(lambda: pending(app) == 0, timeout=30, what="the outbox drained after the broker returned")

    produced = all_event_ids(app)
    delivered = drain(tap, expected=len(produced))
    counts = collections.Counter(message.properties.message_id for message in delivered)
    figures = {
        "produced": len(produced),
        "delivered": len(counts),
        "lost": len(produced - set(counts)),
        "duplicated": sum(count - 1 for count in counts.values()),
        "relay connections": proxy.connections_made,
    }
    print(f"broker outage figures ({database_url.split(':')[0]}): {figures}")
    assert figures["produced"] == UPLOADS_BEFORE + UPLOADS_DURING + CANCELS_DURING
    assert set(counts) == produced
    assert figures["duplicated"] == 0
    assert proxy.connections_made >= 2  # the relay really reconnected
    # One relay publishes in outbox order.
    with app.app_context():
        in_id_order = list(db.session.scalars(select(OutboxEvent.event_id).order_by(OutboxEvent.id)))
    assert [message.properties.message_id for message in delivered] == in_id_order


def test_the_consumer_reconnects_when_the_broker_returns(
    make_app,
    sqlite_url,
    broker,  # noqa: F811
    proxy,
    tmp_path,
):
    app = make_app(DATABASE_URL=sqlite_url)
    env = {
        "UCS_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F",
        "UCS_DATABASE_URL": sqlite_url,
        "UCS_INSTANCE_PATH": str(tmp_path / "consumer-instance"),
        "UCS_LOAD_ENTRY_POINTS": "false",
    }

    def registered(file_id: str) -> bool:
        with app.app_context():
            return db.session.get(File, file_id) is not None

    log = tmp_path / "consumer.log"
    with running_consumer(broker, env, log):
        broker.publish("file.registered", registered_event("before-the-cut.bam"))
        wait_for(lambda: registered("before-the-cut.bam"), what="the first event applied")

        proxy.cut()
        wait_for(lambda: "broker unavailable" in log.read_text(), what="the consumer noticing the outage")
        broker.publish("file.registered", registered_event("during-the-cut.bam"))  # straight to the broker
        time.sleep(1)
        assert not registered("during-the-cut.bam")

        proxy.restore()
        wait_for(lambda: registered("during-the-cut.bam"), what="the event applied after the broker returned")
    assert proxy.connections_made >= 2


def registered_event(file_id: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": "file.registered", "payload": {"file_id": file_id}}

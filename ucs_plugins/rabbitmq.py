"""The rabbitmq event plugin on pika: publishes outbox events with publisher confirms and consumes events.

Active only when UCS_AMQP_URL is set. Topology (docs/events.md): one durable topic exchange
(EVENTS_EXCHANGE) with the event type as routing key; the consumer's durable queue (EVENTS_QUEUE) is bound
to it for the consumed types and dead-letters to a fanout exchange (EVENTS_DEAD_LETTER_EXCHANGE) feeding a
durable queue (EVENTS_DEAD_LETTER_QUEUE). These settings are this plugin's; the relay's (batch size, poll
interval, in-server, EVENTS_RETRY_MAX_DELAY, which the consumer's reconnections follow too) are UCS's.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
from pika.exceptions import AMQPError

from ucs.events import CONSUMED_TYPES, EventMessage, Outcome, PublishFailed, Verdict
from ucs.hookspecs import hookimpl
from ucs.plugin_settings import Setting

log = logging.getLogger(__name__)

REASON_HEADER = "x-ucs-dead-letter-reason"
# Unacknowledged messages the broker hands the consumer ahead of time.
PREFETCH = 10
# Broken connections surface as pika's AMQPError or as socket errors.
BROKER_ERRORS = (AMQPError, OSError)

SETTINGS = (
    # RabbitMQ URL (amqp://user:password@host:5672/vhost). None: events wait in the outbox (docs/events.md).
    Setting("AMQP_URL", None),
    # The durable topic exchange events are published to and consumed from; routing key = event type.
    Setting("EVENTS_EXCHANGE", "ucs"),
    # `ucs events consume`: the durable queue it reads, bound to the exchange for the consumed event types.
    Setting("EVENTS_QUEUE", "ucs.consumer"),
    # Where messages the consumer cannot handle go, with the reason in the header x-ucs-dead-letter-reason.
    Setting("EVENTS_DEAD_LETTER_EXCHANGE", "ucs.dead-letter"),
    Setting("EVENTS_DEAD_LETTER_QUEUE", "ucs.dead-letter"),
)


@dataclass(frozen=True)
class Topology:
    url: str
    exchange: str
    queue: str
    dead_letter_exchange: str
    dead_letter_queue: str
    max_delay: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Topology:
        return cls(
            url=config["AMQP_URL"],
            exchange=config["EVENTS_EXCHANGE"],
            queue=config["EVENTS_QUEUE"],
            dead_letter_exchange=config["EVENTS_DEAD_LETTER_EXCHANGE"],
            dead_letter_queue=config["EVENTS_DEAD_LETTER_QUEUE"],
            max_delay=float(config["EVENTS_RETRY_MAX_DELAY"]),
        )

    def connect(self) -> BlockingConnection:
        parameters = pika.URLParameters(self.url)
        if parameters.blocked_connection_timeout is None:
            # A broker short of memory or disk blocks publishers: fail and retry rather than hang forever.
            parameters.blocked_connection_timeout = 60
        return BlockingConnection(parameters)

    def declare_exchange(self, channel: BlockingChannel) -> None:
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)

    def declare_consumer_queues(self, channel: BlockingChannel) -> None:
        self.declare_exchange(channel)
        channel.exchange_declare(self.dead_letter_exchange, exchange_type="fanout", durable=True)
        channel.queue_declare(self.dead_letter_queue, durable=True)
        channel.queue_bind(self.dead_letter_queue, self.dead_letter_exchange)
        channel.queue_declare(
            self.queue, durable=True, arguments={"x-dead-letter-exchange": self.dead_letter_exchange}
        )
        for event_type in CONSUMED_TYPES:
            channel.queue_bind(self.queue, self.exchange, routing_key=event_type)


class RabbitPublisher:
    """Publishes persistent JSON messages and waits for the broker's confirm; reconnects when needed."""

    def __init__(self, topology: Topology):
        self.topology = topology
        self._connection: BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def publish(self, message: EventMessage) -> None:
        properties = pika.BasicProperties(
            content_type="application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=message.event_id,
            type=message.type,
            timestamp=int(message.occurred_at.timestamp()),
            app_id="ucs",
        )
        try:
            channel = self._open_channel()
            # With confirms on, this returns once the broker has the message (on disk for durable queues).
            channel.basic_publish(self.topology.exchange, message.routing_key, message.body(), properties)
        except BROKER_ERRORS as error:
            self.close()
            raise PublishFailed(f"{message.type} {message.event_id} not confirmed: {error!r}") from None

    def _open_channel(self) -> BlockingChannel:
        if self._channel is not None and self._channel.is_open:
            try:
                # Answers heartbeats and notices a connection the broker dropped while the relay was idle,
                # before anything is sent on it.
                self._connection.process_data_events(0)
            except BROKER_ERRORS:
                self.close()
        if self._channel is None or not self._channel.is_open:
            self.close()
            self._connection = self.topology.connect()
            channel = self._connection.channel()
            self.topology.declare_exchange(channel)
            channel.confirm_delivery()
            self._channel = channel
        return self._channel

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        _close_quietly(connection)


class RabbitSource:
    """Consumes the consumer queue, acknowledging each message after its verdict (see ucs.events.Verdict)."""

    def __init__(self, topology: Topology):
        self.topology = topology

    def run(self, handle: Callable[[bytes], Verdict], should_stop: Callable[[], bool]) -> None:
        delay = 1.0
        while not should_stop():
            connection = None
            try:
                connection = self.topology.connect()
                delay = 1.0
                self._consume(connection, handle, should_stop)
            except BROKER_ERRORS as error:
                log.warning("events consumer: broker unavailable, reconnecting in %.1f s: %r", delay, error)
                _sleep_unless(should_stop, delay)
                delay = min(delay * 2, self.topology.max_delay)
            finally:
                _close_quietly(connection)  # unacknowledged messages go back to the queue

    def _consume(
        self,
        connection: BlockingConnection,
        handle: Callable[[bytes], Verdict],
        should_stop: Callable[[], bool],
    ) -> None:
        channel = connection.channel()
        self.topology.declare_consumer_queues(channel)
        channel.confirm_delivery()  # dead-letter copies are confirmed before the original is acknowledged
        channel.basic_qos(prefetch_count=PREFETCH)
        log.info("events consumer: reading queue %s", self.topology.queue)
        retry_delay = 1.0
        for method, properties, body in channel.consume(self.topology.queue, inactivity_timeout=1.0):
            if should_stop():
                break
            if method is None:
                continue
            verdict = handle(body)
            if verdict.ack:
                channel.basic_ack(method.delivery_tag)
                retry_delay = 1.0
            elif verdict.outcome is Outcome.DEAD_LETTER:
                self._dead_letter(channel, method, properties, body, verdict.reason)
            else:
                # The database is unavailable: wait, then let the broker deliver the message again.
                connection.sleep(retry_delay)
                retry_delay = min(retry_delay * 2, self.topology.max_delay)
                channel.basic_nack(method.delivery_tag, requeue=True)
        channel.cancel()

    def _dead_letter(self, channel: BlockingChannel, method, properties, body: bytes, reason: str) -> None:
        """Copy the message to the dead-letter exchange with the reason in a header, then drop the original."""
        headers = dict(properties.headers or {})
        headers[REASON_HEADER] = reason[:1000]
        headers["x-ucs-original-exchange"] = method.exchange
        headers["x-ucs-original-routing-key"] = method.routing_key
        copy = pika.BasicProperties(
            content_type=properties.content_type,
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=properties.message_id,
            type=properties.type,
            timestamp=properties.timestamp,
            app_id=properties.app_id,
            headers=headers,
        )
        try:
            channel.basic_publish(self.topology.dead_letter_exchange, method.routing_key, body, copy)
        except (pika.exceptions.NackError, pika.exceptions.UnroutableError):
            # The queue's own dead-lettering still keeps the message (x-death header, without our reason).
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        channel.basic_ack(method.delivery_tag)


def _close_quietly(connection: BlockingConnection | None) -> None:
    if connection is not None and connection.is_open:
        with contextlib.suppress(*BROKER_ERRORS):
            connection.close()


def _sleep_unless(should_stop: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(min(0.2, seconds))


@hookimpl
def ucs_add_settings(settings):
    settings.add(*SETTINGS)


@hookimpl
def ucs_make_event_publisher(config):
    if not config.get("AMQP_URL"):
        return None
    return RabbitPublisher(Topology.from_config(config))


@hookimpl
def ucs_make_event_source(config):
    if not config.get("AMQP_URL"):
        return None
    return RabbitSource(Topology.from_config(config))

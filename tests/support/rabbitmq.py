"""The machine's RabbitMQ for event tests: names unique to each test, taps that record messages, cleanup.

The broker is shared with other engineers' tests, so every exchange and queue made here carries a random
suffix and is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pika
import pytest

from tests.support.processes import stop

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@dataclass
class Delivered:
    """One message as a tap received it."""

    routing_key: str
    properties: pika.BasicProperties
    body: bytes

    @property
    def document(self) -> dict:
        return json.loads(self.body)


@dataclass
class Broker:
    """Exchange and queue names private to one test, and the settings that point UCS at them."""

    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    taps: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.exchange = f"ucs-test.{self.suffix}"
        self.queue = f"ucs-test.consumer.{self.suffix}"
        self.dead_letter_exchange = self.dead_letter_queue = f"ucs-test.dead-letter.{self.suffix}"

    def settings(self, amqp_url: str = AMQP_URL) -> dict[str, object]:
        """UCS settings (without the UCS_ prefix) for this test's names and fast retries."""
        return {
            "AMQP_URL": amqp_url,
            "EVENTS_EXCHANGE": self.exchange,
            "EVENTS_QUEUE": self.queue,
            "EVENTS_DEAD_LETTER_EXCHANGE": self.dead_letter_exchange,
            "EVENTS_DEAD_LETTER_QUEUE": self.dead_letter_queue,
            "EVENTS_RELAY_POLL_INTERVAL": 0.1,
            "EVENTS_RETRY_MAX_DELAY": 1.0,
        }

    def environment(self, amqp_url: str = AMQP_URL) -> dict[str, str]:
        return {f"UCS_{key}": str(value) for key, value in self.settings(amqp_url).items()}

    def tap(self, binding_key: str = "#") -> str:
        """A queue that records every message published to the exchange under binding_key."""
        name = f"ucs-test.tap.{self.suffix}.{len(self.taps)}"
        with channel() as ch:
            ch.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            ch.queue_declare(name, durable=True)
            ch.queue_bind(name, self.exchange, routing_key=binding_key)
        self.taps.append(name)
        return name

    def publish(self, routing_key: str, body: bytes | dict, message_id: str | None = None) -> None:
        """Publish as another service would (a dict is sent as JSON), with confirms."""
        if isinstance(body, dict):
            message_id = message_id or body.get("event_id")
            body = json.dumps(body).encode()
        with channel() as ch:
            ch.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            ch.confirm_delivery()
            properties = pika.BasicProperties(
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=message_id,
            )
            ch.basic_publish(self.exchange, routing_key, body, properties)

    def delete(self) -> None:
        with channel() as ch:
            for queue in [*self.taps, self.queue, self.dead_letter_queue]:
                ch.queue_delete(queue)
            for exchange in (self.exchange, self.dead_letter_exchange):
                ch.exchange_delete(exchange)


@contextlib.contextmanager
def channel() -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        yield connection.channel()
    finally:
        connection.close()


def drain(queue: str, expected: int, timeout: float = 20, settle: float = 0.5) -> list[Delivered]:
    """Take messages from queue until `expected` arrived and nothing more came for `settle` seconds.

    Waiting a little past the expected count is what lets a test see a duplicate that arrives late.
    """
    received: list[Delivered] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    with channel() as ch:
        while time.monotonic() < deadline:
            method, properties, body = ch.basic_get(queue, auto_ack=True)
            if method is not None:
                received.append(Delivered(method.routing_key, properties, body))
                quiet_since = time.monotonic()
            elif len(received) >= expected and time.monotonic() - quiet_since >= settle:
                break
            else:
                time.sleep(0.05)
    return received


def message_count(queue: str) -> int:
    with channel() as ch:
        return ch.queue_declare(queue, passive=True).method.message_count


def wait_for(condition, timeout: float = 20, interval: float = 0.1, what: str = "condition"):
    """Poll condition() until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"{what} not met within {timeout} s")


def consumer_count(queue: str) -> int:
    """Consumers on queue; 0 also when the queue does not exist yet."""
    try:
        with channel() as ch:
            return ch.queue_declare(queue, passive=True).method.consumer_count
    except pika.exceptions.ChannelClosedByBroker:
        return 0


@contextlib.contextmanager
def ucs_command(
    arguments: list[str], env: dict[str, str], log: Path, python_prelude: str = ""
) -> Iterator[subprocess.Popen]:
    """Run `ucs <arguments>` (after python_prelude, if any) in a child process until the block ends."""
    script = f"{python_prelude}\nfrom ucs.cli.main import main\nmain({arguments!r})"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process)


@contextlib.contextmanager
def running_consumer(broker: Broker, env: dict[str, str], log: Path, python_prelude: str = ""):
    """`ucs events consume` in a child process, once it reads its queue."""
    with ucs_command(["events", "consume"], {**broker.environment(), **env}, log, python_prelude) as process:

        def reading() -> bool:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the consumer exited with {process.returncode}:\n{log.read_text()[-3000:]}"
                )
            return consumer_count(broker.queue) > 0

        wait_for(reading, what="the consumer reading its queue")
        yield process


def upload_through_api(client, file_id: str, data: bytes) -> str:
    """Register, start, store one part and complete through the REST API (a Flask test client).

    This is the journey that makes UCS record a file.upload_received event. Returns the upload id.
    """
    registration = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert client.put(f"/files/{file_id}", json=registration).status_code in (200, 201)
    upload_id = start_upload_through_api(client, file_id)
    signed = client.post(f"/multipart_uploads/{quote(upload_id, safe='')}/part/1/presigned_post").get_json()
    stored = client.open(signed["url"], method=signed["method"], data=data, headers=signed["headers"])
    assert stored.status_code == 200, stored.get_data(as_text=True)
    parts = [{"part_no": 1, "etag": stored.headers["ETag"]}]
    completed = client.patch(
        f"/multipart_uploads/{quote(upload_id, safe='')}", json={"status": "uploaded", "parts": parts}
    )
    assert completed.status_code == 204, completed.get_data(as_text=True)
    return upload_id


def start_upload_through_api(client, file_id: str) -> str:
    started = client.post(f"/files/{file_id}/multipart_uploads", json={})
    assert started.status_code == 201, started.get_data(as_text=True)
    return started.get_json()["upload_id"]


@pytest.fixture
def broker() -> Iterator[Broker]:
    """Names private to this test on the machine's RabbitMQ, deleted afterwards."""
    names = Broker()
    try:
        yield names
    finally:
        names.delete()

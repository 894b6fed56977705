"""The outbox relay: publishes unsent outbox rows in id order and marks them sent once the broker confirms.

Several relays may run against one PostgreSQL database: each locks the rows it publishes with
FOR UPDATE SKIP LOCKED, so the others pass over them instead of publishing them a second time.
SQLite has no row locks; run one relay there.
"""

from __future__ import annotations

import atexit
import logging
import threading

from flask import Flask
from sqlalchemy import select

from ucs.db.base import db
from ucs.db.models import OutboxEvent, utcnow
from ucs.events import EventMessage, EventPublisher, PublishFailed, make_publisher
from ucs.observability.event_metrics import CountingPublisher
from ucs.settings import Setting

log = logging.getLogger("ucs.relay")  # the name logs have always carried (docs/operations.md)

# Where init_app keeps the in-server relay, in app.extensions.
RELAY_EXTENSION = "ucs.relay"

# The relay's own settings; the broker's (where to publish) belong to the broker plugin that makes the
# publisher (ucs_make_event_publisher), the rabbitmq plugin's UCS_AMQP_URL and UCS_EVENTS_EXCHANGE.
RELAY_SETTINGS = (
    # The relay publishes at most this many outbox rows per transaction.
    Setting("EVENTS_RELAY_BATCH_SIZE", 100),
    # Seconds the relay waits before looking at the outbox again when it found nothing to publish.
    Setting("EVENTS_RELAY_POLL_INTERVAL", 1.0),
    # Seconds the relay (and a broker plugin's consumer) waits at most between reconnection attempts.
    Setting("EVENTS_RETRY_MAX_DELAY", 30.0),
    # Run the relay in a thread of the web server (`ucs run`), with the publisher a broker plugin makes.
    Setting("EVENTS_RELAY_IN_SERVER", False),
)


class Relay:
    """Moves events from the outbox to a publisher; call its methods inside an app context."""

    def __init__(
        self,
        publisher: EventPublisher,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        max_delay: float = 30.0,
    ):
        self.publisher = publisher
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_delay = max_delay

    def publish_batch(self) -> int:
        """Publish the oldest unsent events (at most batch_size) and return how many the broker confirmed.

        Rows confirmed before a failure are still marked sent; PublishFailed then propagates.
        """
        rows = db.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.published_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        ).all()
        sent = 0
        try:
            for row in rows:
                self.publisher.publish(EventMessage.from_row(row))
                row.published_at = utcnow()
                sent += 1
        finally:
            # Ends the transaction either way: marks what was confirmed and releases the row locks.
            db.session.commit()
        return sent

    def publish_pending(self, stop: threading.Event | None = None) -> int:
        """Publish batches until no unsent event is left to this relay (or stop is set); return the count."""
        total = 0
        while not (stop and stop.is_set()) and (sent := self.publish_batch()):
            total += sent
        return total

    def run(self, stop: threading.Event) -> None:
        """Publish until stop is set: poll when idle, back off (doubling up to max_delay) while failing."""
        delay = self.poll_interval
        while not stop.is_set():
            try:
                sent = self.publish_pending(stop)
            except Exception as error:
                self._recover(error, delay)
                stop.wait(delay)
                delay = min(delay * 2, self.max_delay)
                continue
            if sent:
                log.info("events relay: published %d event(s)", sent)
            delay = self.poll_interval
            stop.wait(self.poll_interval)
        self.publisher.close()

    def _recover(self, error: Exception, delay: float) -> None:
        """Log a failed round and drop what it left open; the relay stays alive and tries again."""
        if isinstance(error, PublishFailed):
            log.warning("events relay: broker unavailable, retrying in %.1f s: %s", delay, error)
            self.publisher.close()
        else:
            # The database may be restarting.
            log.exception("events relay: publishing failed, retrying in %.1f s", delay)
            db.session.rollback()


def relay_from_config(app: Flask) -> Relay | None:
    """A relay for the app's configured broker, or None when no broker is configured."""
    publisher = make_publisher(app)
    if publisher is None:
        return None
    return Relay(
        CountingPublisher(publisher),
        batch_size=int(app.config["EVENTS_RELAY_BATCH_SIZE"]),
        poll_interval=float(app.config["EVENTS_RELAY_POLL_INTERVAL"]),
        max_delay=float(app.config["EVENTS_RETRY_MAX_DELAY"]),
    )


class InServerRelay:
    """The relay thread of one server process: started by its first request, stopped at exit or by stop()."""

    def __init__(self, app: Flask):
        self.app = app
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self._started = threading.Lock()

    def start_once(self) -> None:
        """Start the thread unless it was started before; warn when no broker plugin makes a publisher."""
        if not self._started.acquire(blocking=False):
            return
        relay = relay_from_config(self.app)
        if relay is None:
            log.warning("EVENTS_RELAY_IN_SERVER is set but no event broker plugin answered: no relay runs")
            return
        self.thread = threading.Thread(target=self._run, args=(relay,), name="ucs-events-relay", daemon=True)
        self.thread.start()
        # A daemon thread dies mid-batch when the interpreter ends; this lets it finish and close first.
        atexit.register(self.stop)

    def _run(self, relay: Relay) -> None:
        with self.app.app_context():
            relay.run(self.stopping)

    def stop(self, timeout: float = 10.0) -> bool:
        """Let the relay finish its batch and close its broker connection; True once the thread has ended."""
        self.stopping.set()
        atexit.unregister(self.stop)
        if self.thread is None:
            return True
        self.thread.join(timeout)
        return not self.thread.is_alive()


def init_app(app: Flask) -> None:
    """Start a relay thread with the server's first request, when EVENTS_RELAY_IN_SERVER is set.

    Starting on the first request rather than here keeps the thread out of CLI commands (which build the
    same app but serve nothing) and out of a pre-forking server's parent process, whose threads its
    workers would not inherit. Events come from requests, so none waits long; events left from an
    earlier run go out with the first request (a load balancer's health check, say). The thread stops
    when the interpreter exits, or earlier through app.extensions[RELAY_EXTENSION].stop(). Without a
    broker plugin that makes a publisher (the rabbitmq plugin without UCS_AMQP_URL), it warns and runs none.
    """
    if not app.config["EVENTS_RELAY_IN_SERVER"]:
        return
    in_server = app.extensions[RELAY_EXTENSION] = InServerRelay(app)
    app.before_request(in_server.start_once)

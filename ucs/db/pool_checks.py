"""Check a pooled database connection before use only when it has sat idle long enough to have gone stale.

SQLAlchemy's `pool_pre_ping` pings on every checkout: one extra round trip per request, a quarter of the
database work of a part URL. A connection that served a request a moment ago is alive; the ones that die
are those left idle (a database restart at night, a firewall's idle timeout). If the database restarts
within the idle window, the next request on each stale connection is answered 503 (retried by clients)
and SQLAlchemy drops the whole pool, so the one after that gets a fresh connection.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

IDLE_BEFORE_PING = 5.0  # seconds


def ping_idle_connections(engine: Engine, idle_before_ping: float = IDLE_BEFORE_PING) -> None:
    """Ping a connection at checkout when it has been idle at least idle_before_ping seconds."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def remember_last_use(dbapi_connection, record):
        record.info["last_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy):
        if time.monotonic() - record.info.get("last_used", 0.0) < idle_before_ping:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool discards this connection and checks out another (SQLAlchemy's PoolEvents.checkout).
                raise DisconnectionError("the database closed an idle connection") from error
            raise

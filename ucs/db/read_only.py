"""Requests that only read: their queries run outside a transaction, one round trip each.

A request's session otherwise opens a transaction with its first query and rolls it back at the end:
BEGIN and ROLLBACK are two of the four round trips of a part URL. A view that only reads (one upload's
row) gains nothing from them. Marked views run in the driver's autocommit mode, which SQLAlchemy resets
when the connection returns to the pool; a flush in such a request is refused, so a write added to a
read-only view later fails loudly in its tests instead of committing piecemeal.
"""

from __future__ import annotations

import functools

from sqlalchemy import event

from ucs.db.base import db

READ_ONLY = "ucs.read_only"


def read_only(view):
    """Run view (and the access check inside it) without a transaction; it must write nothing."""

    @functools.wraps(view)
    def reading(*args, **kwargs):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        db.session.info[READ_ONLY] = True
        return view(*args, **kwargs)

    return reading


def init_app(app) -> None:
    with app.app_context():
        if not event.contains(db.session, "before_flush", _refuse_writes):
            event.listen(db.session, "before_flush", _refuse_writes)


def _refuse_writes(session, flush_context, instances):
    if session.info.get(READ_ONLY):
        raise RuntimeError("a read-only request tried to write; remove @read_only from its view")

"""Column types of UCS's own: `UtcDateTime`, so every time read from the database is aware and in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A `DateTime(timezone=True)` column that hands back aware UTC datetimes on every database.

    PostgreSQL's timestamptz returns aware values in the session's time zone; SQLite keeps no time zone
    and returns naive ones. UCS stores UTC only, so a naive value is UTC on the way in and on the way out.
    The database type stays `DateTime(timezone=True)`: no migration follows from using this.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        return _as_utc(value)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return _as_utc(value)


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)

"""The status changes an operation made, kept with its transaction until it ends.

change_status and start_upload `report` each change they make; whoever watches UCS takes the changes of a
transaction once it commits (`take_committed`, called by ucs/observability/status_changes.py), so a change
that is rolled back (a lost race, a failed commit) is never counted or logged.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ucs.db.base import db
from ucs.uploads import UploadStatus

# Where a session keeps the changes of its current transaction (Session.info).
SESSION_KEY = "ucs.status_changes"


@dataclass(frozen=True)
class StatusChange:
    """One upload's move to a status (previous is None for a new upload), and who made it."""

    upload_id: str
    file_id: str
    previous: UploadStatus | None
    status: UploadStatus
    size: int | None
    actor: str | None


def report(change: StatusChange) -> None:
    """Note a change made in the current transaction of the app's session."""
    db.session.info.setdefault(SESSION_KEY, []).append(change)


def take_committed(session: Session) -> list[StatusChange]:
    """The changes of the transaction that just committed; none are kept for the next one."""
    return session.info.pop(SESSION_KEY, [])


def forget(session: Session) -> None:
    """Drop the changes of a transaction that ended without a commit: they never happened."""
    session.info.pop(SESSION_KEY, None)

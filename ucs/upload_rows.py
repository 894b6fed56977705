"""One upload's row, read with a prebuilt Core query: the lookup on every request keyed by upload id.

The access check and the views of part URLs, status and parts only read the row's columns; loading an ORM
object for them cost about twice as much as the query itself. Code that changes an upload loads the ORM
object (`services.get_upload`), locked where it must be.
"""

from __future__ import annotations

from sqlalchemy import Row, bindparam, select

from ucs.extensions import db
from ucs.models import MultipartUpload
from ucs.services import NotFound

UPLOADS = MultipartUpload.__table__
UPLOAD_BY_ID = select(UPLOADS).where(UPLOADS.c.s3_upload_id == bindparam("upload_id"))


def upload_row(upload_id: str) -> Row:
    """The upload's columns as attributes (the same names as MultipartUpload's), or NotFound."""
    row = db.session.execute(UPLOAD_BY_ID, {"upload_id": upload_id}).first()
    if row is None:
        raise NotFound(f"no multipart upload with id {upload_id!r}")
    return row

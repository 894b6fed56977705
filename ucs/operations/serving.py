"""Which upload's object a file is served from (downloads and DRS), and why none when there is none.

A file is served from its one active upload when that upload's status is among the served ones (accepted
only, or uploaded as well: UCS_ACCEPTED_ONLY, docs/validation.md) and no fixity failure is recorded for
it. Otherwise the refusal says why: VerdictPending (with when to ask again) while the verdict is awaited,
NotServed naming the rejection or fixity failure with its reason, or that there is no completed upload.
"""

from __future__ import annotations

from collections.abc import Collection

from ucs.db import queries
from ucs.db.models import File, MultipartUpload
from ucs.problems import Conflict, VerdictPending
from ucs.uploads import UploadStatus


class NotServed(Conflict):
    """The file has no object to serve; why says so in a few words (for the download's and DRS's messages)."""

    def __init__(self, file_id: str, why: str):
        super().__init__(f"file {file_id!r} has no completed upload to download: {why}")
        self.why = why


def served_upload(file_id: str, served: Collection[UploadStatus], retry_after: int) -> MultipartUpload:
    """The upload whose object file_id is served from; NotFound, VerdictPending or NotServed otherwise."""
    file = queries.get_file(file_id)
    # At most one upload per file is pending, uploaded or accepted (ucs/uploads.py).
    active = queries.active_upload(file_id)
    if active is not None and active.upload_status in served and active.fixity_failed_at is None:
        return active
    if (
        active is not None
        and active.upload_status is UploadStatus.UPLOADED
        and active.fixity_failed_at is None
    ):
        raise VerdictPending(
            f"file {file_id!r} is being validated: its upload is complete and awaits its verdict; ask again in "
            f"{retry_after} s",
            retry_after,
        )
    raise NotServed(file_id, why_not(file, active))


def why_not(file: File, active: MultipartUpload | None) -> str:
    if active is not None and active.fixity_failed_at is not None:
        checked = active.fixity_failed_at.isoformat(timespec="seconds")
        return f"its object failed a fixity check at {checked}, so it is no longer served: {active.fixity_reason}"
    if active is not None:  # pending
        return "it is still being uploaded"
    if file.uploads and file.uploads[-1].upload_status is UploadStatus.REJECTED:
        return f"its upload was rejected by validation: {file.uploads[-1].reason}"
    return "it has not been uploaded"

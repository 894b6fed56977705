"""Which upload a file's upload continues: its pending one, else a new one; a refused start may find the
one a retried request started, or the completed upload a rerun after success finds."""

from __future__ import annotations

from upload_client.api import UcsClient
from upload_client.exceptions import ApiError, BadInput


class AlreadyCompleted(Exception):
    """The file already has a completed upload (found when starting a new one is refused)."""

    def __init__(self, upload: dict, message: str):
        super().__init__(message)
        self.upload = upload


def pending_or_new(
    api: UcsClient, file: dict, file_id: str, path: str, size: int, cancel_command: str
) -> tuple[dict, list[dict] | None]:
    """The pending upload and its stored parts, or a new upload; refuses one that no longer fits.

    The parts are None when the store holds no unfinished upload any more: it may have joined the
    parts already, for a completion whose answer (or whose record at UCS) was lost.
    """
    pending = api.pending_upload(file_id)
    if pending is None:
        try:
            return api.start_upload(file_id, size), []
        except ApiError as error:
            if error.status != 409:
                raise BadInput(str(error)) from None
            # A 409 comes back when a retried start already succeeded, or the file is uploaded.
            pending = api.pending_upload(file_id)
            if pending is None:
                completed = [u for u in api.uploads(file_id) if u["status"] in ("uploaded", "accepted")]
                if completed:
                    raise AlreadyCompleted(completed[0], str(error)) from None
                raise BadInput(str(error)) from None
    expected = pending.get("size") if pending.get("size") is not None else file.get("size")
    if expected is not None and expected != size:
        raise BadInput(
            f"{path} now has {size} bytes but the pending upload {pending['upload_id']} of file "
            f"{file_id!r} was started for {expected} bytes; to start over, cancel it: {cancel_command}"
        )
    try:
        return pending, api.stored_parts(pending["upload_id"])
    except ApiError as error:
        if error.status != 409:  # 409: the store lost the upload or joined it, or it ended meanwhile
            raise
        return pending, None

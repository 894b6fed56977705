"""UCS's verdict on a completed upload: waiting for it (`upload --wait`), and saying it (`status`).

With validation (docs/validation.md) an upload stays `uploaded` after the client completes it, while UCS
reads the stored object back; then it becomes `accepted`, or `rejected` with a reason that gives the
expected and actual values. The upload's answer in `GET /multipart_uploads/U` carries the verdict
(validated_at, validated_by, reason) and, while a validator reads the object, the bytes it has read
(validation_progress), which the wait shows as a bar with its rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from upload_client.api import UcsClient
from upload_client.exceptions import (
    ApiError,
    BadInput,
    ClientError,
    Rejected,
    StillValidating,
    VerificationFailed,
)
from upload_client.progress import human_size
from upload_client.transfer import TransferEngine
from upload_client.waiting import Deadline, Patience

#: The first pause between two looks at the upload, doubling up to the longest.
POLL_FIRST = 0.5
POLL_MAX = 2.0

AWAITING = "uploaded"


@dataclass
class Verdict:
    """An accepted upload, as UCS recorded its verdict."""

    file_id: str
    upload_id: str
    #: The object's size and its SHA-256 as the validator computed it.
    size: int | None
    sha256: str | None
    #: When and by whom (a validator's host:pid, or the archive's event consumer), as UCS says.
    validated_at: str | None
    validated_by: str | None
    #: How long the client waited for it.
    seconds: float


class VerdictWaiter:
    """Waits for the verdict on one upload: returns the Verdict when accepted, raises Rejected (exit 8)
    when rejected and StillValidating (exit 9) when the time allowed runs out."""

    def __init__(
        self,
        api: UcsClient,
        engine: TransferEngine,
        status_command: str = "upload-client status",
        patience: Patience | None = None,
    ):
        self.api = api
        self.engine = engine
        # The command that shows the verdict later, for the message when the wait runs out.
        self.status_command = status_command
        # How long to wait: the engine's config.wait_timeout unless given.
        self.patience = patience or Patience(engine.config.wait_timeout, engine.stop)

    def wait(self, file_id: str, upload_id: str) -> Verdict:
        deadline = Deadline(self.patience)
        upload = self._upload(file_id, upload_id)
        if upload["status"] == AWAITING:
            size = upload.get("size") or 0
            self.engine.note(
                f"validating upload {upload_id} of file {file_id}: UCS reads its {human_size(size)} back; "
                f"waiting up to {self.patience.timeout:g} s for the verdict"
            )
            with self.engine.phase("validating", size):
                upload = self._watch(file_id, upload, deadline)
        return self._verdict(file_id, upload, deadline.elapsed)

    def _watch(self, file_id: str, upload: dict, deadline: Deadline) -> dict:
        """Look at the upload until it is no longer awaiting its verdict, reporting the bytes read."""
        upload_id, size = upload["upload_id"], upload.get("size") or 0
        read, pause = 0, POLL_FIRST
        while upload["status"] == AWAITING:
            progress = upload.get("validation_progress") or 0
            # Reporting 0 bytes still redraws the bar, so its elapsed time keeps counting.
            self.engine.report_progress(max(0, progress - read))
            read = max(read, progress)
            if deadline.left <= 0:
                raise StillValidating(
                    f"no verdict yet on upload {upload_id} of file {file_id} after {deadline.elapsed:.0f} s "
                    f"(--wait-timeout {self.patience.timeout:g}; {human_size(read)} of {human_size(size)} read "
                    f"so far); UCS goes on validating it: see the verdict later with {self.status_command}"
                )
            if deadline.reminder_due():
                elapsed = deadline.elapsed
                self.engine.note(
                    f"still validating upload {upload_id}: {elapsed:.0f} s, "
                    f"{human_size(read)} of {human_size(size)} read ({read / elapsed / 1e6:.1f} MB/s)"
                )
            deadline.pause(pause)
            pause = min(2 * pause, POLL_MAX)
            upload = self._upload(file_id, upload_id)
        if upload["status"] == "accepted":
            self.engine.report_progress(max(0, size - read))
        return upload

    def _upload(self, file_id: str, upload_id: str) -> dict:
        try:
            return self.api.get_upload(upload_id)
        except ApiError as error:
            if error.status == 404:
                raise ClientError(f"UCS lists no upload {upload_id} of file {file_id!r}") from None
            raise

    def _verdict(self, file_id: str, upload: dict, seconds: float) -> Verdict:
        upload_id, status, reason = upload["upload_id"], upload["status"], upload.get("reason")
        if status == "rejected":
            raise Rejected(
                f"UCS rejected upload {upload_id} of file {file_id}: {reason or 'no reason given'}", reason
            )
        if status != "accepted":
            because = f": {reason}" if reason else ""
            raise ClientError(
                f"upload {upload_id} of file {file_id} is {status}, so no verdict comes{because}"
            )
        return Verdict(
            file_id=file_id,
            upload_id=upload_id,
            size=upload.get("size"),
            sha256=upload.get("sha256"),
            validated_at=upload.get("validated_at"),
            validated_by=upload.get("validated_by"),
            seconds=seconds,
        )


def wait_for_verdict(
    api: UcsClient, file_id: str, upload_id: str, engine: TransferEngine | None = None
) -> Verdict:
    """The verdict on an upload, waited for up to api.config.wait_timeout seconds (for pipelines); the
    engine's subscribers, if one is given, see the progress."""
    return VerdictWaiter(api, engine or TransferEngine(api.config)).wait(file_id, upload_id)


def not_served(api: UcsClient, file_id: str, refusal: ApiError) -> ClientError:
    """Why UCS refuses to serve a file (its 409), as the exit code it means: Rejected (8) when its upload
    was rejected, VerificationFailed (5) when its object failed a fixity check, else bad input (1).

    Telling them apart takes the file's uploads, which a token with only download:F may not read: UCS's
    message, which says why in words, then stands alone.
    """
    try:
        uploads = api.uploads(file_id)
    except ClientError:
        return BadInput(str(refusal))
    latest = max(uploads, key=lambda upload: upload.get("created_at") or "", default={})
    if latest.get("status") == "rejected":
        return Rejected(str(refusal), latest.get("reason"))
    if latest.get("fixity_failed_at"):
        return VerificationFailed(str(refusal))
    return BadInput(str(refusal))


def verdict_note(upload: dict) -> str:
    """What `status` adds to an upload's line about its verdict and fixity ("" from a UCS that does not
    validate, whose answers lack these fields)."""
    status = upload.get("status")
    if status == AWAITING and "validation_progress" in upload:
        progress = upload["validation_progress"]
        if progress is None:
            return ", awaiting its verdict"
        return f", being validated ({human_size(progress)} of {human_size(upload.get('size') or 0)} read)"
    if status not in ("accepted", "rejected") or not upload.get("validated_at"):
        return ""
    note = f", {status} at {upload['validated_at']} by {upload.get('validated_by') or 'unknown'}"
    if upload.get("fixity_failed_at"):
        note += (
            f"; FIXITY FAILED at {upload['fixity_failed_at']}: {upload.get('fixity_reason')} "
            "(no longer served)"
        )
    elif upload.get("fixity_checked_at"):
        note += f"; intact at its last fixity check, {upload['fixity_checked_at']}"
    return note

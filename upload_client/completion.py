"""Sending an upload's completion to UCS, again when its answer is lost: UCS takes a repeat as the first."""

from __future__ import annotations

from upload_client.api import UcsClient
from upload_client.exceptions import ApiError, ClientError, UcsUnreachable
from upload_client.http import lost_answer
from upload_client.transfer import TransferEngine

#: How many times a completion whose answer was lost is sent.
COMPLETION_ATTEMPTS = 4
#: The statuses of an upload that completed (a validator may have accepted it since).
COMPLETED = ("uploaded", "accepted")


def send_completion(
    api: UcsClient, engine: TransferEngine, upload_id: str, etags: dict[int, str], sha256: str
) -> None:
    """PATCH the completion; sent again when its answer is lost (the connection closed or was reset).

    A timed-out answer is not sent again (the store may still be joining the parts). After a lost
    answer, a refusal may only mean that the first request completed the upload: UCS is asked which.
    """
    answer_lost = False
    for attempt in range(1, COMPLETION_ATTEMPTS + 1):
        try:
            api.complete(upload_id, etags, sha256)
            return
        except UcsUnreachable as error:
            if not lost_answer(error.last_exception) or attempt == COMPLETION_ATTEMPTS:
                raise
            engine.note(f"the answer to the completion of upload {upload_id} was lost; asking again")
            answer_lost = True
            # A call to UCS: the API's backoff, not the store's.
            config = engine.config
            engine.sleep(min(config.api_backoff_initial * 2 ** (attempt - 1), config.api_backoff_max))
        except ApiError:
            if answer_lost and uploaded_with(api, upload_id, sha256):
                return
            raise


def uploaded_with(api: UcsClient, upload_id: str, sha256: str) -> bool:
    """Whether UCS has the upload completed with this SHA-256 (by an earlier request whose answer was lost)."""
    try:
        upload = api.get_upload(upload_id)
    except ClientError:
        return False
    return upload.get("status") in COMPLETED and upload.get("sha256") == sha256

"""What an upload that stops says next: what is stored and the command that resumes it, or that the
upload ended elsewhere meanwhile and the same command starts a new one."""

from __future__ import annotations

from upload_client.api import UcsClient
from upload_client.exceptions import ApiError, ClientError, TransferIncomplete


class ResumeAdvice:
    """Completes the messages of an upload's failures with what to run next."""

    def __init__(
        self,
        api: UcsClient,
        resume_command: str = "the same command",
        cancel_command: str = "upload-client cancel",
    ):
        self.api = api
        self.resume_command = resume_command
        self.cancel_command = cancel_command

    def left_pending(self, error: ClientError, upload_id: str, stored: int, total: int) -> ClientError:
        """The error, its message completed with what is stored and the command that resumes."""
        # Only a refusal can mean the upload ended elsewhere; asking after Ctrl-C or with UCS gone only delays.
        refused = isinstance(error, ApiError | TransferIncomplete)
        if refused and not self.still_pending(upload_id):
            return ClientError(
                f"{error}; upload {upload_id} is no longer pending at UCS (canceled or failed meanwhile); "
                f"running the same command starts a new upload: {self.resume_command}"
            )
        error.args = (
            f"{error}; {stored} of {total} parts are stored and upload {upload_id} is left pending; "
            f"resume with: {self.resume_command}",
        )
        return error

    def still_pending(self, upload_id: str) -> bool:
        """Whether UCS still has the upload pending; when UCS cannot tell, assume it has.

        The upload's own record, not its stored parts: UCS refuses the parts (409) of a pending upload
        the store no longer holds, which is exactly the upload a recovering completion works on.
        """
        try:
            return self.api.get_upload(upload_id)["status"] == "pending"
        except ApiError as error:
            return error.status != 404
        except ClientError:
            return True

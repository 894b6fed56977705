"""The REST calls to UCS (docs/api.md), with UCS's answers turned into the client's exceptions."""

from __future__ import annotations

from typing import Any

import requests

from upload_client.config import TransferConfig
from upload_client.credentials import Credentials
from upload_client.exceptions import BadInput, ClientError, NotUcs, one_line
from upload_client.http import ThreadSessions, api_retry, path_segment
from upload_client.rest import Dialect, RestApi


def ucs_error(response: requests.Response, body: Any) -> str | None:
    """Every UCS error is {"code", "message", ...}."""
    if isinstance(body, dict) and isinstance(body.get("message"), str) and "code" in body:
        return one_line(body["message"])
    return None


UCS = Dialect(name="UCS", like="UCS", check="check --api-url", error_message=ucs_error)


class UcsClient:
    """One UCS instance, reached at base_url; safe to use from several threads.

    The config gives the retries and timeouts of the calls (the completion's read timeout is its own:
    the store joins every part before UCS answers) and max_concurrency sizes the connection pool.
    """

    def __init__(
        self, base_url: str, config: TransferConfig | None = None, credentials: Credentials | None = None
    ):
        self.config = config or TransferConfig()
        self.rest = RestApi(base_url, self.config, credentials or Credentials(), UCS)
        self.base_url = self.rest.base_url
        # A completion that timed out may still be assembling the object: sending it again would only
        # start a second assembly behind the first, so a read timeout ends the call (rerun to resume).
        self._completion_sessions = ThreadSessions(api_retry(self.config, read=0), 1)

    # Files.

    def get_file(self, file_id: str) -> dict:
        return self.rest.call("GET", f"/files/{path_segment(file_id)}", expect=("file_id",))

    def register_file(self, file_id: str, size: int | None = None, sha256: str | None = None) -> dict:
        body = {key: value for key, value in (("size", size), ("sha256", sha256)) if value is not None}
        return self.rest.call("PUT", f"/files/{path_segment(file_id)}", json=body)

    def uploads(self, file_id: str, status: str | None = None) -> list[dict]:
        params = {"status": status} if status else None
        return self.rest.call("GET", f"/files/{path_segment(file_id)}/multipart_uploads", params=params)

    def pending_upload(self, file_id: str) -> dict | None:
        pending = self.uploads(file_id, "pending")
        return pending[0] if pending else None

    def start_upload(self, file_id: str, size: int) -> dict:
        path = f"/files/{path_segment(file_id)}/multipart_uploads"
        return self.rest.call("POST", path, json={"size": size}, expect=("upload_id", "part_size"))

    def download_info(self, file_id: str) -> dict:
        return self.rest.call("GET", f"/files/{path_segment(file_id)}/download", expect=("url", "size"))

    # Multipart uploads.

    def stored_parts(self, upload_id: str) -> list[dict]:
        return self.rest.call("GET", f"/multipart_uploads/{path_segment(upload_id)}/parts")

    def part_url(self, upload_id: str, part_no: int) -> dict:
        return self.rest.call(
            "POST", f"/multipart_uploads/{path_segment(upload_id)}/part/{part_no}/presigned_post"
        )

    def part_urls(self, upload_id: str, part_nos: list[int]) -> list[dict]:
        """Presigned URLs for many parts in one call (UCS's batch route), in part order."""
        path = f"/multipart_uploads/{path_segment(upload_id)}/parts/presigned_posts"
        answer = self.rest.call("POST", path, json={"part_nos": part_nos})
        if not (isinstance(answer, list) and all(isinstance(i, dict) and "url" in i for i in answer)):
            raise NotUcs(f"{self.base_url} does not answer like UCS: POST {path} gave no list of URLs")
        return answer

    def complete(self, upload_id: str, etags: dict[int, str], sha256: str) -> None:
        parts = [{"part_no": number, "etag": etags[number]} for number in sorted(etags)]
        body = {"status": "uploaded", "parts": parts, "sha256": sha256}
        timeout = (self.config.api_connect_timeout, self.config.completion_timeout)
        path = f"/multipart_uploads/{path_segment(upload_id)}"
        self.rest.call("PATCH", path, json=body, timeout=timeout, sessions=self._completion_sessions)

    def get_upload(self, upload_id: str) -> dict:
        return self.rest.call("GET", f"/multipart_uploads/{path_segment(upload_id)}", expect=("status",))

    def cancel(self, upload_id: str) -> None:
        self.rest.call("PATCH", f"/multipart_uploads/{path_segment(upload_id)}", json={"status": "cancelled"})

    def file_not_found(self, file_id: str) -> ClientError:
        """What a 404 for a file means: not registered, if the URL leads to UCS at all.

        UCS answers 404 for a route it lacks too, so a base URL with a path too many (.../api) would read
        as an unregistered file: UCS's /health tells the two apart.
        """
        url = self.base_url + "/health"
        try:
            body = self.rest.sessions.get().get(url, timeout=self.config.api_timeout).json()
        except (requests.RequestException, ValueError):
            body = None
        if not (isinstance(body, dict) and {"database", "storage"} <= body.keys()):
            return NotUcs(
                f"{self.base_url} does not point at UCS: {url} is not UCS's health check; check --api-url"
            )
        return BadInput(f"file {file_id!r} is not registered at {self.base_url}")

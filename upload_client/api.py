"""The REST calls to UCS (docs/api.md), with UCS's answers turned into the client's exceptions."""

from __future__ import annotations

from typing import Any

import requests

from upload_client.config import TransferConfig
from upload_client.credentials import Credentials
from upload_client.exceptions import (
    AccessRefused,
    ApiError,
    BadInput,
    ClientError,
    NotUcs,
    UcsUnreachable,
    one_line,
)
from upload_client.http import (
    REFUSED_STATUSES,
    TOKEN_REFUSED,
    ThreadSessions,
    api_retry,
    describe_connection_error,
    path_segment,
    timed_out,
)
from upload_client.waiting import not_ready


class UcsClient:
    """One UCS instance, reached at base_url; safe to use from several threads.

    The config gives the retries and timeouts of the calls (the completion's read timeout is its own:
    the store joins every part before UCS answers) and max_concurrency sizes the connection pool.
    """

    def __init__(
        self, base_url: str, config: TransferConfig | None = None, credentials: Credentials | None = None
    ):
        self.base_url = base_url.rstrip("/")
        self.config = config or TransferConfig()
        self.credentials = credentials or Credentials()
        self._sessions = ThreadSessions(api_retry(self.config), self.config.max_concurrency)
        # A completion that timed out may still be assembling the object: sending it again would only
        # start a second assembly behind the first, so a read timeout ends the call (rerun to resume).
        self._completion_sessions = ThreadSessions(api_retry(self.config, read=0), 1)

    # Files.

    def get_file(self, file_id: str) -> dict:
        return self._call("GET", f"/files/{path_segment(file_id)}", expect=("file_id",))

    def register_file(self, file_id: str, size: int | None = None, sha256: str | None = None) -> dict:
        body = {key: value for key, value in (("size", size), ("sha256", sha256)) if value is not None}
        return self._call("PUT", f"/files/{path_segment(file_id)}", json=body)

    def uploads(self, file_id: str, status: str | None = None) -> list[dict]:
        params = {"status": status} if status else None
        return self._call("GET", f"/files/{path_segment(file_id)}/multipart_uploads", params=params)

    def pending_upload(self, file_id: str) -> dict | None:
        pending = self.uploads(file_id, "pending")
        return pending[0] if pending else None

    def start_upload(self, file_id: str, size: int) -> dict:
        path = f"/files/{path_segment(file_id)}/multipart_uploads"
        return self._call("POST", path, json={"size": size}, expect=("upload_id", "part_size"))

    def download_info(self, file_id: str) -> dict:
        return self._call("GET", f"/files/{path_segment(file_id)}/download", expect=("url", "size"))

    # Multipart uploads.

    def stored_parts(self, upload_id: str) -> list[dict]:
        return self._call("GET", f"/multipart_uploads/{path_segment(upload_id)}/parts")

    def part_url(self, upload_id: str, part_no: int) -> dict:
        return self._call(
            "POST", f"/multipart_uploads/{path_segment(upload_id)}/part/{part_no}/presigned_post"
        )

    def part_urls(self, upload_id: str, part_nos: list[int]) -> list[dict]:
        """Presigned URLs for many parts in one call (UCS's batch route), in part order."""
        path = f"/multipart_uploads/{path_segment(upload_id)}/parts/presigned_posts"
        answer = self._call("POST", path, json={"part_nos": part_nos})
        if not (isinstance(answer, list) and all(isinstance(i, dict) and "url" in i for i in answer)):
            raise NotUcs(f"{self.base_url} does not answer like UCS: POST {path} gave no list of URLs")
        return answer

    def complete(self, upload_id: str, etags: dict[int, str], sha256: str) -> None:
        parts = [{"part_no": number, "etag": etags[number]} for number in sorted(etags)]
        body = {"status": "uploaded", "parts": parts, "sha256": sha256}
        timeout = (self.config.api_connect_timeout, self.config.completion_timeout)
        path = f"/multipart_uploads/{path_segment(upload_id)}"
        self._call("PATCH", path, json=body, timeout=timeout, sessions=self._completion_sessions)

    def cancel(self, upload_id: str) -> None:
        self._call("PATCH", f"/multipart_uploads/{path_segment(upload_id)}", json={"status": "cancelled"})

    def file_not_found(self, file_id: str) -> ClientError:
        """What a 404 for a file means: not registered, if the URL leads to UCS at all.

        UCS answers 404 for a route it lacks too, so a base URL with a path too many (.../api) would read
        as an unregistered file: UCS's /health tells the two apart.
        """
        url = self.base_url + "/health"
        try:
            body = self._sessions.get().get(url, timeout=self.config.api_timeout).json()
        except (requests.RequestException, ValueError):
            body = None
        if not (isinstance(body, dict) and {"database", "storage"} <= body.keys()):
            return NotUcs(
                f"{self.base_url} does not point at UCS: {url} is not UCS's health check; check --api-url"
            )
        return BadInput(f"file {file_id!r} is not registered at {self.base_url}")

    # Plumbing.

    def _call(
        self,
        method: str,
        path: str,
        expect: tuple[str, ...] = (),
        sessions: ThreadSessions | None = None,
        **kwargs,
    ) -> Any:
        """Make one call; expect names keys a JSON object answer must have (else this is not UCS)."""
        kwargs.setdefault("timeout", self.config.api_timeout)
        response = self._send(method, path, sessions or self._sessions, kwargs)
        if response.status_code == TOKEN_REFUSED and self.credentials.refresh(response.request.headers):
            response = self._send(method, path, sessions or self._sessions, kwargs)
        body = self._answer(method, path, response)
        if expect and not (isinstance(body, dict) and all(key in body for key in expect)):
            raise self._not_ucs(method, path, response)
        return body

    def _send(self, method: str, path: str, sessions: ThreadSessions, kwargs: dict) -> requests.Response:
        # The token goes with each call to UCS only: store URLs are fetched by other sessions, without it.
        options = {**kwargs, "headers": {**kwargs.get("headers", {}), **self.credentials.header()}}
        try:
            return sessions.get().request(method, self.base_url + path, **options)
        except (requests.ConnectionError, requests.Timeout) as error:
            if timed_out(error):
                raise UcsUnreachable(
                    f"UCS at {self.base_url} did not answer {method} {path} within {kwargs['timeout'][1]:g} s",
                    error,
                ) from None
            raise UcsUnreachable(
                f"cannot reach UCS at {self.base_url}: {describe_connection_error(error)}", error
            ) from None
        except requests.exceptions.InvalidHeader:
            # Its message would repeat the header, token and all.
            raise BadInput("a header of the request to UCS (the token?) cannot be sent over HTTP") from None
        except requests.RequestException as error:
            raise UcsUnreachable(f"cannot talk to UCS at {self.base_url}: {error}", error) from None

    def _answer(self, method: str, path: str, response: requests.Response) -> Any:
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        pending = not_ready(response, body)  # the file is being validated: the caller may wait
        if pending is not None:
            raise pending
        if response.ok:
            if body is None:
                raise self._not_ucs(method, path, response)
            return body
        # Every UCS error has the same shape; anything else means the URL points somewhere else.
        if not isinstance(body, dict) or not isinstance(body.get("message"), str) or "code" not in body:
            raise self._not_ucs(method, path, response)
        if response.status_code in REFUSED_STATUSES:
            raise self._refused(response.status_code, one_line(body["message"]))
        raise ApiError(response.status_code, one_line(body["message"]))

    def _refused(self, status: int, message: str) -> AccessRefused:
        if status != TOKEN_REFUSED:  # 403: the token is fine, its permission is not
            return AccessRefused(status, f"UCS refused the request: {message}")
        if self.credentials.missing:
            return AccessRefused(status, "UCS needs a token: pass --token or --token-file, or set UCS_TOKEN")
        return AccessRefused(status, f"UCS refused {self.credentials.source}: {message}")

    def _not_ucs(self, method: str, path: str, response: requests.Response) -> NotUcs:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        return NotUcs(
            f"{self.base_url} does not answer like UCS: {method} {path} gave "
            f"{response.status_code} {kind}; check --api-url"
        )

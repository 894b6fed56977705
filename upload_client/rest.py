"""A JSON API over HTTP with the client's retries, timeouts and bearer token: UCS's, or a DRS server's.

Both are called the same way; what differs is the shape of their errors and what to check when an answer
has neither shape. That is a Dialect, which UcsClient and DrsClient each give the RestApi they hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from upload_client.config import TransferConfig
from upload_client.credentials import Credentials
from upload_client.exceptions import AccessRefused, ApiError, BadInput, NotUcs, UcsUnreachable
from upload_client.http import (
    REFUSED_STATUSES,
    TOKEN_REFUSED,
    ThreadSessions,
    api_retry,
    describe_connection_error,
    describe_tls_failure,
    timed_out,
)
from upload_client.waiting import not_ready


@dataclass(frozen=True)
class Dialect:
    """How one kind of server answers: its error shape, and the words for an answer of another shape."""

    #: The server in messages: "cannot reach {name} at ...", "{name} refused the request: ...".
    name: str
    #: Who should have answered, in "does not answer like ...".
    like: str
    #: What the user should check then.
    check: str
    #: The one-line message of an error answer (response, parsed body) in this shape, or None.
    error_message: Callable[[requests.Response, Any], str | None]


class RestApi:
    """Calls to the JSON API at base_url; safe to use from several threads.

    The config gives the retries and timeouts of the calls; max_concurrency sizes the connection pool.
    """

    def __init__(self, base_url: str, config: TransferConfig, credentials: Credentials, dialect: Dialect):
        self.base_url = base_url.rstrip("/")
        self.config = config
        self.credentials = credentials
        self.dialect = dialect
        self.sessions = ThreadSessions(api_retry(config), config.max_concurrency)

    def call(
        self,
        method: str,
        path: str,
        expect: tuple[str, ...] = (),
        sessions: ThreadSessions | None = None,
        **kwargs,
    ) -> Any:
        """Make one call; expect names keys a JSON object answer must have (else this is not the server)."""
        kwargs.setdefault("timeout", self.config.api_timeout)
        response = self._send(method, path, sessions or self.sessions, kwargs)
        if response.status_code == TOKEN_REFUSED and self.credentials.refresh(response.request.headers):
            response = self._send(method, path, sessions or self.sessions, kwargs)
        body = self.answer(method, path, response)
        if expect and not (isinstance(body, dict) and all(key in body for key in expect)):
            raise self.not_this_server(method, path, response)
        return body

    def _send(self, method: str, path: str, sessions: ThreadSessions, kwargs: dict) -> requests.Response:
        # The token goes with each call to the API only: store URLs are fetched by other sessions, without it.
        options = {**kwargs, "headers": {**kwargs.get("headers", {}), **self.credentials.header()}}
        try:
            return sessions.get().request(method, self.base_url + path, **options)
        except requests.exceptions.SSLError as error:
            raise UcsUnreachable(describe_tls_failure(self.base_url, error), error) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            if timed_out(error):
                raise UcsUnreachable(
                    f"{self.dialect.name} at {self.base_url} did not answer {method} {path} within {kwargs['timeout'][1]:g} s",
                    error,
                ) from None
            raise UcsUnreachable(
                f"cannot reach {self.dialect.name} at {self.base_url}: {describe_connection_error(error)}",
                error,
            ) from None
        except requests.exceptions.InvalidHeader:
            # Its message would repeat the header, token and all.
            raise BadInput(
                f"a header of the request to {self.dialect.name} (the token?) cannot be sent over HTTP"
            ) from None
        except requests.RequestException as error:
            raise UcsUnreachable(
                f"cannot talk to {self.dialect.name} at {self.base_url}: {error}", error
            ) from None

    def answer(self, method: str, path: str, response: requests.Response) -> Any:
        """The answer's JSON; an error in the dialect's shape as the client's exception."""
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
                raise self.not_this_server(method, path, response)
            return body
        # Every error of the server has its dialect's shape; anything else means the URL points elsewhere.
        message = self.dialect.error_message(response, body)
        if message is None:
            raise self.not_this_server(method, path, response)
        if response.status_code in REFUSED_STATUSES:
            raise self._refused(response.status_code, message)
        raise ApiError(response.status_code, message)

    def _refused(self, status: int, message: str) -> AccessRefused:
        name = self.dialect.name
        if status != TOKEN_REFUSED:  # 403: the token is fine, its permission is not
            return AccessRefused(status, f"{name} refused the request: {message}")
        if self.credentials.missing:
            return AccessRefused(
                status, f"{name} needs a token: pass --token or --token-file, or set UCS_TOKEN"
            )
        return AccessRefused(status, f"{name} refused {self.credentials.source}: {message}")

    def not_this_server(self, method: str, path: str, response: requests.Response) -> NotUcs:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        return NotUcs(
            f"{self.base_url} does not answer like {self.dialect.like}: {method} {path} gave "
            f"{response.status_code} {kind}; {self.dialect.check}"
        )

"""HTTP answers made up in memory, for unit tests of how the client reads a server's answers."""

from __future__ import annotations

import json
from http import HTTPStatus

import requests


def answer(status: int, body, content_type: str = "application/json") -> requests.Response:
    """A requests.Response with status (and its reason phrase), body (JSON unless bytes) and content type."""
    response = requests.Response()
    response.status_code = status
    response.reason = HTTPStatus(status).phrase
    response.headers["Content-Type"] = content_type
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return response

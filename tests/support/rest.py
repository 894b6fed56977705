"""A small REST client for the API tests, and snapshots of everything an API call could change."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import requests
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from tests.support.tokens import bearer
from ucs.db.base import db
from ucs.db.models import File, MultipartUpload, OutboxEvent

TIMEOUT = 30


def upload_path(upload_id: str, suffix: str = "") -> str:
    """The API path of an upload: ids are opaque, so every character outside A-Z a-z 0-9 -._~ is encoded."""
    return f"/multipart_uploads/{quote(upload_id, safe='')}{suffix}"


class Rest:
    """Calls UCS over real HTTP; each helper asserts the success status the contract promises.

    Every (method, path, status) seen is kept in `seen`, so a test can check the OpenAPI document
    against what the server really answered.
    """

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        # A staff token unless the test says otherwise; store URLs get no token (requests.request below).
        self.session.headers.update(bearer(token))
        self.seen: list[tuple[str, str, int]] = []

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.session.request(method, self.base_url + path, timeout=TIMEOUT, **kwargs)
        self.seen.append((method, path, response.status_code))
        return response

    def expect(self, status: int, method: str, path: str, **kwargs) -> requests.Response:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response

    def register(self, file_id: str, **body: Any) -> dict:
        return self.call("PUT", f"/files/{file_id}", json=body).json()

    def start(self, file_id: str, **body: Any) -> dict:
        return self.expect(201, "POST", f"/files/{file_id}/multipart_uploads", json=body).json()

    def put_part(self, upload_id: str, part_no: int, data: bytes) -> dict:
        """Store one part through its presigned URL, as the client does; returns {part_no, etag}."""
        signed = self.expect(200, "POST", upload_path(upload_id, f"/part/{part_no}/presigned_post")).json()
        stored = requests.request(
            signed["method"], signed["url"], data=data, headers=signed["headers"], timeout=TIMEOUT
        )
        assert stored.status_code == 200, stored.text
        return {"part_no": part_no, "etag": stored.headers["ETag"]}

    def put_parts(self, upload_id: str, chunks: list[bytes]) -> list[dict]:
        return [self.put_part(upload_id, number, chunk) for number, chunk in enumerate(chunks, start=1)]

    def complete(self, upload_id: str, parts: list[dict], **extra: Any) -> requests.Response:
        return self.call(
            "PATCH", upload_path(upload_id), json={"status": "uploaded", "parts": parts, **extra}
        )

    def cancel(self, upload_id: str, spelling: str = "cancelled") -> requests.Response:
        return self.call("PATCH", upload_path(upload_id), json={"status": spelling})

    def upload(self, file_id: str, chunks: list[bytes]) -> dict:
        """The whole journey for a registered file: start, store every part, complete. Returns the upload."""
        upload = self.start(file_id)
        parts = self.put_parts(upload["upload_id"], chunks)
        response = self.complete(upload["upload_id"], parts)
        assert response.status_code == 204, response.text
        return self.expect(200, "GET", upload_path(upload["upload_id"])).json()


def undocumented_statuses(app, seen: list[tuple[str, str, int]]) -> list[str]:
    """The answers in seen that /openapi.json does not list for their operation."""
    spec = app.test_client().get("/openapi.json").get_json()
    adapter = app.url_map.bind("localhost")
    problems = []
    for method, path, status in seen:
        try:
            rule, _ = adapter.match(unquote(path.split("?")[0]), method, return_rule=True)
        except HTTPException:  # no route at all: nothing the spec could list
            continue
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        operation = spec["paths"].get(template, {}).get(method.lower())
        if operation is not None and str(status) not in operation["responses"]:
            problems.append(
                f"{method} {template} answered {status}, documented {sorted(operation['responses'])}"
            )
    return sorted(set(problems))


def database_rows(app) -> dict[str, list[tuple]]:
    """Every row of the tables the API writes, as sorted tuples of all columns."""
    rows = {}
    with app.app_context():
        for model in (File, MultipartUpload, OutboxEvent):
            columns = list(model.__table__.columns)
            result = db.session.execute(select(*columns)).all()
            rows[model.__tablename__] = sorted(tuple(str(value) for value in row) for row in result)
        db.session.remove()
    return rows


def stored_files(root: str | os.PathLike) -> dict[str, int]:
    """Every file the filesystem store holds (parts and objects), by path with its size."""
    root = Path(root)
    return {
        str(path.relative_to(root)): path.stat().st_size
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.startswith(".signing-key")
    } | {str(path.relative_to(root)) + "/": 0 for path in root.rglob("*") if path.is_dir()}


def snapshot(app) -> dict[str, Any]:
    """What a refused request must leave untouched: database rows, outbox events and the store's files."""
    # The filesystem store removes a completed upload's parts behind the request: let it finish first.
    trash = getattr(app.extensions.get("ucs.storage"), "trash", None)
    if trash is not None:
        trash.wait()
    return {"database": database_rows(app), "store": stored_files(app.config["FILESYSTEM_ROOT"])}


def outbox(app) -> list[tuple[str, dict]]:
    """The outbox events in order, as (type, payload)."""
    with app.app_context():
        events = db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        result = [(event.type, event.payload) for event in events]
        db.session.remove()
    return result


def checked_rest(app, live_url: str) -> Iterator[Rest]:
    """For a fixture: a Rest client on the live server; afterwards every status it saw must be in the spec."""
    client = Rest(live_url)
    yield client
    problems = undocumented_statuses(app, client.seen)
    assert not problems, "answers missing from /openapi.json:\n" + "\n".join(problems)

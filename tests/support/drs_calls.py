"""What the DRS API tests share: a small file in three parts, uploading it, callers with a given scope, and
DRS's error answer checked against its schema."""

from __future__ import annotations

import hashlib

import requests

from tests.support import drs_schemas as schemas
from tests.support.rest import Rest
from tests.support.tokens import default_issuer
from ucs.db.base import db
from ucs.operations import life_cycle
from ucs.uploads import UploadStatus

DRS = "/ga4gh/drs/v1"
CHUNKS = [b"a" * 1000, b"b" * 1000, b"c" * 234]
DATA = b"".join(CHUNKS)
SHA256 = hashlib.sha256(DATA).hexdigest()


def uploaded(rest: Rest, file_id: str, chunks=CHUNKS) -> dict:
    data = b"".join(chunks)
    rest.expect(
        201, "PUT", f"/files/{file_id}", json={"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    )
    return rest.upload(file_id, chunks)


def judged(app, upload_id: str, outcome: UploadStatus) -> None:
    """What the event consumer does with a validator's verdict."""
    with app.app_context():
        life_cycle.record_validation(upload_id, outcome, "the validator's reason", actor="validator")
        db.session.commit()


def as_bearer_of(live_url: str, scope: str | None) -> Rest:
    """A client with a token of scope (no token at all for None)."""
    caller = Rest(live_url, default_issuer().token(scope, subject="reader") if scope else None)
    if scope is None:
        caller.session.headers.pop("Authorization")
    return caller


def drs_error(response: requests.Response, status: int) -> str:
    """The DRS error of response, checked against the schema and its status; returns the message."""
    assert response.status_code == status, response.text
    body = response.json()
    schemas.validate(body, schemas.ERROR)
    assert set(body) == {"msg", "status_code"} and body["status_code"] == status
    return body["msg"]

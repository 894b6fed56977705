"""Running UCS's validator in a test: in this process (`validate_once`) and what it recorded."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter

import requests
from flask import Flask

from tests.support.rest import Rest, upload_path
from ucs.db.base import db
from ucs.db.models import MultipartUpload
from ucs.plugins import current_storage
from ucs.validation.validator import Validator, ValidatorSettings


def validate_once(app: Flask, recheck_age: float | None = None, **overrides) -> Counter:
    """What `ucs validate --once` (or `--recheck --older-than`) does, in this process; returns the tally."""
    settings = ValidatorSettings.from_config({**app.config, **overrides})
    return Validator(app, current_storage(app), settings, recheck_age, once=True).run(threading.Event())


def upload_state(rest: Rest, upload_id: str) -> dict:
    return rest.expect(200, "GET", upload_path(upload_id)).json()


def upload_through_api(client, file_id: str, data: bytes) -> str:
    """Register file_id with data's size and SHA-256 and upload it in one part (a Flask test client with a
    staff token; the part goes to the store over HTTP, as the client sends it). Returns the upload id."""
    digest = hashlib.sha256(data).hexdigest()
    assert client.put(f"/files/{file_id}", json={"size": len(data), "sha256": digest}).status_code == 201
    upload_id = client.post(f"/files/{file_id}/multipart_uploads", json={"size": len(data)}).get_json()[
        "upload_id"
    ]
    signed = client.post(upload_path(upload_id, "/part/1/presigned_post")).get_json()
    stored = requests.request(
        signed["method"], signed["url"], data=data, headers=signed["headers"], timeout=60
    )
    assert stored.status_code == 200, stored.text
    completion = {"status": "uploaded", "parts": [{"part_no": 1, "etag": stored.headers["ETag"]}]}
    assert client.patch(upload_path(upload_id), json=completion).status_code == 204
    return upload_id


def upload_row(app: Flask, upload_id: str) -> MultipartUpload:
    """The upload as the database holds it now."""
    with app.app_context():
        upload = db.session.get(MultipartUpload, upload_id)
        db.session.expunge_all()
        db.session.remove()
    return upload

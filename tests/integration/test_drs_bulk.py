"""The GA4GH DRS bulk routes on the filesystem store: objects and access URLs resolved id by id, OPTIONS
without a token, and the bulk requests they refuse; every answer checked against the DRS schemas.
"""

from __future__ import annotations

import pytest
import requests

from tests.support import drs_schemas as schemas
from tests.support.drs_calls import DATA, DRS, as_bearer_of, drs_error, uploaded

# Every test runs on SQLite and on PostgreSQL (tests/conftest.py database_url).


def test_bulk_objects_resolve_each_id_on_its_own(rest, live_url):
    uploaded(rest, "F1")
    uploaded(rest, "F2")
    rest.register("pending")
    rest.start("pending")
    caller = as_bearer_of(live_url, "download:F1 download:pending download:unknown")
    ids = ["F1", "F2", "unknown", "pending", "..", "F1"]

    answer = caller.expect(200, "POST", f"{DRS}/objects", json={"bulk_object_ids": ids}).json()

    schemas.validate(answer, schemas.BULK_OBJECTS)
    assert answer["summary"] == {"requested": 5, "resolved": 1, "unresolved": 4}
    assert answer["unresolved_drs_objects"] == [
        {"error_code": 400, "object_ids": [".."]},
        {"error_code": 403, "object_ids": ["F2"]},
        {"error_code": 404, "object_ids": ["unknown", "pending"]},
    ]
    [resolved] = answer["resolved_drs_object"]
    assert resolved == rest.expect(200, "GET", f"{DRS}/objects/F1").json()


def test_bulk_access_urls_fetch_the_bytes(rest):
    uploaded(rest, "F1")
    uploaded(rest, "F2", [b"z" * 10])
    body = {
        "bulk_object_access_ids": [
            {"bulk_object_id": "F1", "bulk_access_ids": ["https", "s3"]},
            {"bulk_object_id": "F2", "bulk_access_ids": ["https"]},
        ],
        "passports": ["ignored"],
    }
    answer = rest.expect(200, "POST", f"{DRS}/objects/access", json=body).json()
    schemas.validate(answer, schemas.BULK_ACCESS_URLS)
    assert answer["summary"] == {"requested": 3, "resolved": 2, "unresolved": 1}
    assert answer["unresolved_drs_objects"] == [{"error_code": 404, "object_ids": ["F1"]}]
    got = {
        u["drs_object_id"]: requests.get(u["url"], timeout=30).content
        for u in answer["resolved_drs_object_access_urls"]
    }
    assert got == {"F1": DATA, "F2": b"z" * 10}
    assert {u["drs_access_id"] for u in answer["resolved_drs_object_access_urls"]} == {"https"}


def test_bulk_options_answers_each_id_without_a_token(live_url):
    anonymous = as_bearer_of(live_url, None)
    answer = anonymous.expect(200, "OPTIONS", f"{DRS}/objects", json={"bulk_object_ids": ["A", "b/c"]}).json()
    schemas.validate(answer, schemas.BULK_AUTHORIZATIONS)
    assert answer["summary"] == {"requested": 2, "resolved": 1, "unresolved": 1}
    assert [a["drs_object_id"] for a in answer["resolved_drs_object"]] == ["A"]
    assert answer["unresolved_drs_objects"] == [{"error_code": 400, "object_ids": ["b/c"]}]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        (
            "POST",
            "/objects",
            {"bulk_object_ids": []},
            400,
            "json.bulk_object_ids: Shorter than minimum length 1.",
        ),
        ("POST", "/objects", {"ids": ["F"]}, 400, "json.bulk_object_ids: Missing data for required field."),
        (
            "POST",
            "/objects",
            {"bulk_object_ids": ["A", "B", "C"]},
            413,
            "names 3 objects; at most 2 are taken",
        ),
        ("OPTIONS", "/objects", {"bulk_object_ids": ["A", "B", "C"]}, 413, "at most 2 are taken"),
        (
            "POST",
            "/objects/access",
            {"bulk_object_access_ids": [{"bulk_object_id": "A"}]},
            400,
            "bulk_access_ids",
        ),
        (
            "POST",
            "/objects/access",
            {"bulk_object_access_ids": [{"bulk_object_id": "A", "bulk_access_ids": ["1", "2", "3"]}]},
            413,
            "names 3 (object, access id) pairs",
        ),
    ],
)
def test_bad_bulk_requests(app, rest, method, path, body, status, words):
    app.config["DRS_MAX_BULK_REQUEST_LENGTH"] = 2
    assert words in drs_error(rest.call(method, DRS + path, json=body), status)


def test_bulk_routes_need_a_token_before_reading_the_body(live_url):
    anonymous = as_bearer_of(live_url, None)
    for path in ("/objects", "/objects/access"):
        response = anonymous.call("POST", DRS + path, data=b"not json at all")
        assert "needs a bearer token" in drs_error(response, 401)

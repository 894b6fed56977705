"""POST /multipart_uploads/{id}/parts/presigned_posts: many part URLs in one request (the fast path)."""

import pytest
import requests

from tests.support.rest import snapshot, upload_path

CHUNKS = [b"a" * 700, b"b" * 700, b"c" * 100]


@pytest.fixture
def upload_id(rest):
    rest.expect(201, "PUT", "/files/f1", json={"size": sum(map(len, CHUNKS))})
    return rest.start("f1")["upload_id"]


def batch(rest, upload_id: str, **body):
    return rest.call("POST", upload_path(upload_id, "/parts/presigned_posts"), json=body)


def test_urls_come_in_part_order_and_store_the_parts_that_complete_the_upload(rest, upload_id):
    signed = batch(rest, upload_id, part_nos=[3, 1, 2])
    assert signed.status_code == 200, signed.text
    urls = signed.json()
    assert [url["part_no"] for url in urls] == [1, 2, 3]
    assert all(url["method"] == "PUT" and url["expires_at"] for url in urls)
    parts = []
    for url, chunk in zip(urls, CHUNKS, strict=True):
        stored = requests.put(url["url"], data=chunk, headers=url["headers"], timeout=10)
        assert stored.status_code == 200, stored.text
        parts.append({"part_no": url["part_no"], "etag": stored.headers["ETag"]})
    assert rest.complete(upload_id, parts).status_code == 204
    assert rest.expect(200, "GET", upload_path(upload_id)).json()["status"] == "uploaded"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "json.part_nos: Missing data for required field"),
        ({"part_nos": []}, "part_nos must list at least one part number"),
        ({"part_nos": list(range(1, 1002))}, "at most 1000 items, not 1001"),
        ({"part_nos": [1, 1]}, "part_nos must not repeat a part number"),
        ({"part_nos": [0]}, "part_no must be a whole number from 1 to 10000"),
        ({"part_nos": [10001]}, "part_no must be a whole number from 1 to 10000"),
        ({"part_nos": ["1"]}, "Not a valid integer"),
        ({"part_nos": "1,2"}, "Not a valid list"),
    ],
)
def test_a_bad_list_is_422_naming_the_problem_and_changes_nothing(app, rest, upload_id, body, words):
    before = snapshot(app)
    refused = batch(rest, upload_id, **body)
    assert refused.status_code == 422
    assert words in refused.json()["message"]
    assert snapshot(app) == before


def test_an_unknown_upload_is_404_and_one_no_longer_pending_is_409(rest, upload_id):
    assert batch(rest, "nosuch", part_nos=[1]).status_code == 404
    assert rest.cancel(upload_id).status_code == 204
    refused = batch(rest, upload_id, part_nos=[1])
    assert refused.status_code == 409 and "not pending" in refused.json()["message"]

"""The large end: an upload of more than 1,000 parts completes through the API, on a real S3 server.

S3 lists at most 1,000 parts a page, so checking the parts before completion needs a second ListParts
page. Real S3 wants 5 MiB parts, which would make this test 5 GiB; moto's server lowers that minimum
when asked (S3_UPLOAD_PART_MIN_SIZE), and UCS_PART_SIZE makes UCS hand out 1 KiB parts.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.live_server import serving
from tests.support.processes import free_port
from tests.support.rest import Rest, upload_path
from tests.support.s3_servers import moto_server

PART_SIZE = 1024
PARTS = 1002


@pytest.fixture(scope="module")
def small_part_moto(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto-small-parts"), min_part_size=1) as server:
        yield server


@pytest.mark.slow
def test_an_upload_of_more_than_1000_parts_completes_through_the_api(make_app, sqlite_url, small_part_moto):
    app = make_app(DATABASE_URL=sqlite_url, PART_SIZE=PART_SIZE, **small_part_moto.bucket_settings())
    backend = app.extensions["ucs.storage"]
    pages: list[bool] = []
    backend.client.meta.events.register(
        "after-call.s3.ListParts", lambda parsed, **_: pages.append(parsed["IsTruncated"])
    )
    data = os.urandom(PART_SIZE * (PARTS - 1) + 77)
    chunks = [data[start : start + PART_SIZE] for start in range(0, len(data), PART_SIZE)]
    assert len(chunks) == PARTS

    with serving(app, free_port()) as url:
        rest = Rest(url)
        rest.register("many-parts", size=len(data), sha256=hashlib.sha256(data).hexdigest())
        upload_id = rest.start("many-parts")["upload_id"]
        # Parts go up from a few threads, as the client sends them, each thread with its own session.
        sessions = threading.local()

        def put_part(number: int) -> dict:
            if not hasattr(sessions, "rest"):
                sessions.rest = Rest(url)
            return sessions.rest.put_part(upload_id, number, chunks[number - 1])

        with ThreadPoolExecutor(4) as pool:
            parts = list(pool.map(put_part, range(1, PARTS + 1)))
        assert rest.complete(upload_id, parts).status_code == 204
        upload = rest.expect(200, "GET", upload_path(upload_id)).json()
        download = rest.expect(200, "GET", "/files/many-parts/download").json()
        assert requests.get(download["url"], timeout=60).content == data

    assert (upload["status"], upload["part_size"], upload["size"]) == ("uploaded", PART_SIZE, len(data))
    assert upload["etag"].endswith(f'-{PARTS}"')
    # The completion check read both pages of the listing: 1,000 parts, then the last 2.
    assert pages == [True, False]

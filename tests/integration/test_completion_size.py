"""A store whose HEAD misreports the joined object's size, on S3 (moto) behind a fault proxy."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.databases import empty_tables
from tests.support.fault_proxy import fault_proxy
from tests.support.rest import outbox, upload_path
from tests.support.s3_fixtures import *  # noqa: F403 - the moto fixtures
from ucs import events

DATA = b"the object the store misreports " * 2000


@pytest.fixture
def proxy(moto):
    with fault_proxy(urlsplit(moto.endpoint_url).port) as proxy:
        yield proxy


@pytest.fixture
def app(make_app, database_url, moto_settings, proxy):
    app = make_app(DATABASE_URL=database_url, **moto_settings | {"S3_ENDPOINT_URL": proxy.url})
    empty_tables(app)
    return app


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_head_answering_content_length_0_leaves_the_upload_pending(rest, app, proxy):
    rest.expect(201, "PUT", "/files/f1", json={"size": len(DATA)})
    upload_id = rest.start("f1")["upload_id"]
    parts = rest.put_parts(upload_id, [DATA])

    proxy.head_content_length = 0
    refused = rest.complete(upload_id, parts)
    assert refused.status_code == 502, refused.text
    assert refused.json()["message"].startswith(
        f"the object store's answers disagree: it reports 0 bytes for the joined object, but its parts hold {len(DATA)}"
    )
    upload = rest.expect(200, "GET", upload_path(upload_id)).json()
    assert (upload["status"], upload["size"]) == ("pending", None)
    assert outbox(app) == []

    proxy.head_content_length = None
    assert rest.complete(upload_id, parts).status_code == 204
    upload = rest.expect(200, "GET", upload_path(upload_id)).json()
    assert (upload["status"], upload["size"]) == ("uploaded", len(DATA))
    assert [kind for kind, _ in outbox(app)] == [events.UPLOAD_RECEIVED]

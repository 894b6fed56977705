"""The GA4GH DRS routes on the filesystem store: every answer checked against the DRS schemas.

The journey after an upload (object, access URL, bytes, checksum), each documented refusal (unknown or
invalid ids, a file still uploading, a rejected upload, a token for another file), OPTIONS, service-info
(the bulk routes: test_drs_bulk.py), and DRS's error shape, which the rest of the API keeps its own shape beside.
"""

from __future__ import annotations

import hashlib
import logging

import pytest
import requests

from tests.support import drs_schemas as schemas
from tests.support.drs_calls import CHUNKS, DATA, DRS, SHA256, as_bearer_of, drs_error, judged, uploaded
from tests.support.rest import Rest, snapshot
from tests.support.tokens import default_issuer
from ucs.storage import StorageUnavailable
from ucs.uploads import UploadStatus

# Every test runs on SQLite and on PostgreSQL (tests/conftest.py database_url).


def test_service_info_is_public_and_says_drs(app, live_url):
    response = as_bearer_of(live_url, None).expect(200, "GET", f"{DRS}/service-info")
    info = response.json()
    schemas.validate(info, schemas.SERVICE_INFO)
    assert info["type"] == {"group": "org.ga4gh", "artifact": "drs", "version": "1.4.0"}
    assert info["maxBulkRequestLength"] == info["drs"]["maxBulkRequestLength"] == 100
    assert info["id"] == "ucs.drs" and info["organization"] == {"name": "UCS", "url": live_url + "/"}


def test_the_journey_after_an_upload_object_access_bytes_checksum(rest, live_url):
    upload = uploaded(rest, "reads.cram")

    drs_object = rest.expect(200, "GET", f"{DRS}/objects/reads.cram").json()
    schemas.validate(drs_object, schemas.DRS_OBJECT)
    host = live_url.removeprefix("http://")
    assert drs_object["id"] == drs_object["name"] == "reads.cram"
    assert drs_object["self_uri"] == f"drs://{host}/reads.cram"
    assert drs_object["size"] == len(DATA)
    assert drs_object["checksums"] == [{"type": "sha-256", "checksum": SHA256}]
    assert drs_object["version"] == upload["etag"].strip('"')
    assert drs_object["created_time"] == upload["created_at"]
    [method] = drs_object["access_methods"]
    assert (method["type"], method["access_id"]) == ("https", "https")
    assert method["authorizations"]["supported_types"] == ["BearerAuth"]
    assert "access_url" not in method  # URLs are minted only when asked for, below

    access = rest.expect(200, "GET", f"{DRS}/objects/reads.cram/access/https").json()
    schemas.validate(access, schemas.ACCESS_URL)
    assert access["headers"] == []
    whole = requests.get(access["url"], timeout=30)  # the store's URL needs no token
    assert whole.status_code == 200 and hashlib.sha256(whole.content).hexdigest() == SHA256
    ranged = requests.get(access["url"], headers={"Range": "bytes=998-1001"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == b"aabb"


def test_each_access_url_is_logged_with_who_asked_and_never_the_url(rest, caplog):
    uploaded(rest, "logged")
    caplog.set_level(logging.INFO, logger="ucs")
    url = rest.expect(200, "GET", f"{DRS}/objects/logged/access/https").json()["url"]
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("ucs.api.drs")]
    assert any("DRS access URL of object logged" in line and "for staff" in line for line in lines), lines
    assert not any(url.split("?")[1] in line for line in caplog.messages)


def test_the_drs_hostname_setting_names_the_host_of_self_uri(app, rest):
    app.config["DRS_HOSTNAME"] = "drs.archive.example"
    uploaded(rest, "F1")
    assert rest.expect(200, "GET", f"{DRS}/objects/F1").json()["self_uri"] == "drs://drs.archive.example/F1"


@pytest.mark.parametrize(
    ("state", "status", "words"),
    [
        ("unregistered", 404, "no DRS object 'F': no file with this id is registered"),
        ("registered", 404, "DRS object 'F' is not available: it has not been uploaded"),
        ("pending", 404, "DRS object 'F' is not available: it is still being uploaded"),
        ("canceled", 404, "DRS object 'F' is not available: it has not been uploaded"),
        (
            "rejected",
            404,
            "DRS object 'F' is not available: its upload was rejected by validation: the validator's reason",
        ),
        ("accepted", 200, None),
    ],
)
def test_which_files_are_objects(app, rest, state, status, words):
    if state != "unregistered":
        rest.expect(201, "PUT", "/files/F", json={"size": len(DATA), "sha256": SHA256})
    if state not in ("unregistered", "registered"):
        upload_id = rest.start("F")["upload_id"]
        if state == "canceled":
            rest.cancel(upload_id)
        elif state != "pending":
            assert rest.complete(upload_id, rest.put_parts(upload_id, CHUNKS)).status_code == 204
            judged(app, upload_id, UploadStatus(state))

    for path in (f"{DRS}/objects/F", f"{DRS}/objects/F/access/https"):
        response = rest.call("GET", path)
        if status == 200:
            assert response.status_code == 200, response.text
        else:
            assert drs_error(response, status) == words


def test_with_accepted_only_an_upload_awaiting_validation_is_not_ready_yet(app, rest):
    app.config["ACCEPTED_ONLY"] = True
    upload = uploaded(rest, "F")
    for path in (f"{DRS}/objects/F", f"{DRS}/objects/F/access/https"):
        # DRS's "not ready yet": 202 with Retry-After, and no object or URL.
        response = rest.expect(202, "GET", path)
        assert response.headers["Retry-After"] == str(app.config["VALIDATION_RETRY_AFTER"])
        assert response.json() == {
            "msg": "DRS object 'F' is being validated: its upload awaits its verdict; ask again in 5 s",
            "status_code": 202,
        }
    judged(app, upload["upload_id"], UploadStatus.ACCEPTED)
    assert rest.expect(200, "GET", f"{DRS}/objects/F").json()["id"] == "F"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/objects/%2E%2E", "invalid object_id '..'"),
        ("/objects/a%2Fb", "invalid object_id 'a/b'"),
        ("/objects/" + "x" * 200, "invalid object_id 'xxxx"),
        ("/objects/a%20b/access/https", "invalid object_id 'a b'"),
    ],
)
def test_an_invalid_object_id_is_a_400(rest, path, words):
    assert words in drs_error(rest.call("GET", DRS + path), 400)


def test_an_unknown_access_id_is_a_404_naming_the_one_there_is(rest):
    uploaded(rest, "F")
    message = drs_error(rest.call("GET", f"{DRS}/objects/F/access/s3"), 404)
    assert message == "DRS object 'F' has no access method 's3'; its access_id is 'https'"


@pytest.mark.parametrize(
    ("scope", "status"),
    [(None, 401), ("download:other", 403), ("upload:F files:read", 403), ("download:F", 200)],
    ids=["no token", "another file", "upload token", "download:F"],
)
def test_reading_needs_download_of_that_file_and_a_refusal_changes_nothing(
    app, rest, live_url, scope, status
):
    uploaded(rest, "F")
    store = app.extensions["ucs.storage"]
    presigned = []
    app.extensions["ucs.storage"] = Spy(store, presigned)
    caller = as_bearer_of(live_url, scope)
    before = snapshot(app)

    for path in (f"{DRS}/objects/F", f"{DRS}/objects/F/access/https"):
        response = caller.call("GET", path)
        if status == 200:
            assert response.status_code == 200, response.text
            continue
        message = drs_error(response, status)
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="ucs"')
        if status == 403:
            assert 'error="insufficient_scope"' in challenge and 'scope="download:F"' in challenge
            assert (
                message
                == "the token has no permission to download file F: it needs the scope download:F (or download:*)"
            )
        else:
            assert "needs a bearer token" in message
    assert snapshot(app) == before
    assert presigned == ([] if status != 200 else ["presign_download"])


class Spy:
    """The app's store, with each presigned download recorded."""

    def __init__(self, store, calls: list):
        self.store, self.calls = store, calls

    def __getattr__(self, name):
        return getattr(self.store, name)

    def presign_download(self, *args):
        self.calls.append("presign_download")
        return self.store.presign_download(*args)


def test_a_refused_token_is_described_never_repeated(rest, live_url):
    expired = default_issuer().token("download:*", ttl=-3600)
    caller = Rest(live_url, expired)
    response = caller.call("GET", f"{DRS}/objects/F")
    message = drs_error(response, 401)
    assert message.startswith("the bearer token was refused: the token expired at ")
    assert expired not in message and expired not in response.headers["WWW-Authenticate"]


def test_options_lists_the_bearer_issuers_publicly_and_reveals_nothing(rest, live_url):
    uploaded(rest, "F")
    anonymous = as_bearer_of(live_url, None)
    answers = [
        anonymous.expect(200, "OPTIONS", f"{DRS}/objects/{object_id}").json() for object_id in ("F", "nope")
    ]
    for object_id, answer in zip(("F", "nope"), answers, strict=True):
        schemas.validate(answer, schemas.AUTHORIZATIONS)
        assert answer == {
            "drs_object_id": object_id,
            "supported_types": ["BearerAuth"],
            "bearer_auth_issuers": [default_issuer().name],
        }
    assert "invalid object_id" in drs_error(anonymous.call("OPTIONS", f"{DRS}/objects/.x"), 400)


def test_with_access_control_off_options_says_none(make_app, database_url):
    app = make_app(DATABASE_URL=database_url, AUTH_DISABLED=True)
    answer = app.test_client().options(f"{DRS}/objects/F").get_json()
    assert answer == {"drs_object_id": "F", "supported_types": ["None"]}


def test_the_store_failing_is_a_drs_503(app, rest, monkeypatch):
    uploaded(rest, "F")

    def unavailable(*args):
        raise StorageUnavailable("the store is down")

    monkeypatch.setattr(app.extensions["ucs.storage"], "presign_download", unavailable)
    message = drs_error(rest.call("GET", f"{DRS}/objects/F/access/https"), 503)
    assert message == "the object store is unavailable: the store is down"


def test_an_unexpected_error_is_a_drs_500_that_says_no_more(make_app, database_url, monkeypatch):
    app = make_app(DATABASE_URL=database_url, TESTING=False)

    def broken(*args):
        raise RuntimeError("internal detail")

    monkeypatch.setattr("ucs.api.drs.routes.object_upload", broken)
    client = app.test_client()
    response = client.get(f"{DRS}/objects/F", headers={"Authorization": f"Bearer {default_issuer().token()}"})
    assert response.status_code == 500
    assert response.get_json() == {"msg": response.get_json()["msg"], "status_code": 500}
    assert "internal detail" not in response.get_data(as_text=True)


def test_routing_errors_under_drs_take_drs_shape_and_the_rest_of_the_api_keeps_its_own(rest):
    assert drs_error(rest.call("DELETE", f"{DRS}/objects/F"), 405)
    assert (
        drs_error(rest.call("GET", f"{DRS}/no-such-route"), 404)
        == f"no such resource: GET {DRS}/no-such-route"
    )
    assert drs_error(rest.call("GET", f"{DRS}/objects"), 405)
    ucs_own = rest.call("GET", "/files/%2E%2E")
    assert ucs_own.status_code == 422 and set(ucs_own.json()) == {"code", "status", "message"}
    assert rest.call("GET", "/files/unknown").json() == {
        "code": 404,
        "status": "Not Found",
        "message": "file 'unknown' is not registered",
    }
    assert set(rest.call("GET", "/no-such-route").json()) == {"code", "status", "message"}

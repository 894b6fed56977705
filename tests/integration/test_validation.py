"""UCS's own validation (docs/validation.md) on the filesystem store, SQLite and PostgreSQL: every verdict,
what it records and publishes, fixity re-checks, and what downloads and DRS serve meanwhile."""

from __future__ import annotations

import hashlib

import pytest

from tests.support.databases import empty_tables
from tests.support.drs_calls import CHUNKS, DATA, DRS, SHA256, uploaded
from tests.support.rest import outbox
from tests.support.validation import upload_state, validate_once
from ucs.db.queries import get_upload
from ucs.observability import metrics
from ucs.plugins import current_storage


@pytest.fixture
def app(make_app, database_url):
    app = make_app(DATABASE_URL=database_url, VALIDATION="builtin", VALIDATOR_ID="validator-1")
    empty_tables(app)
    return app


def stored_object(app, upload_id: str):
    """The file the filesystem store keeps the upload's object in."""
    with app.app_context():
        return current_storage(app).object_path(get_upload(upload_id).key)


def test_an_intact_object_is_accepted_and_served_only_then(app, rest):
    upload = uploaded(rest, "F")
    # Awaiting its verdict: the download says so with Retry-After, DRS answers 202.
    waiting = rest.expect(409, "GET", "/files/F/download")
    assert waiting.headers["Retry-After"] == "5"
    assert waiting.json()["message"] == (
        "file 'F' is being validated: its upload is complete and awaits its verdict; ask again in 5 s"
    )
    assert rest.expect(202, "GET", f"{DRS}/objects/F").headers["Retry-After"] == "5"
    accepted_before = metrics.VALIDATIONS.labels("accepted")._value.get()

    assert validate_once(app) == {"accepted": 1}

    state = upload_state(rest, upload["upload_id"])
    assert state["status"] == "accepted" and state["reason"] is None
    assert state["validated_by"] == "validator-1" and state["validated_at"] is not None
    assert state["sha256"] == SHA256
    assert metrics.VALIDATIONS.labels("accepted")._value.get() == accepted_before + 1
    verdict = [payload for kind, payload in outbox(app) if kind == "file.upload_accepted"]
    assert verdict == [
        {
            "file_id": "F",
            "upload_id": upload["upload_id"],
            "size": len(DATA),
            "sha256": SHA256,
            "etag": upload["etag"],
            "reason": None,
            "validated_by": "validator-1",
            "validated_at": verdict[0]["validated_at"],
        }
    ]
    assert rest.expect(200, "GET", "/files/F/download").json()["sha256"] == SHA256
    checksums = rest.expect(200, "GET", f"{DRS}/objects/F").json()["checksums"]
    assert checksums == [{"type": "sha-256", "checksum": SHA256}]
    assert validate_once(app) == {}  # judged once: nothing left


def test_one_byte_changed_in_the_store_is_rejected_with_both_sha256s(app, rest):
    upload = uploaded(rest, "F")
    path = stored_object(app, upload["upload_id"])
    changed = bytearray(path.read_bytes())
    changed[1234] ^= 0x01
    path.write_bytes(bytes(changed))

    assert validate_once(app) == {"rejected": 1}

    state = upload_state(rest, upload["upload_id"])
    actual = hashlib.sha256(changed).hexdigest()
    assert state["status"] == "rejected"
    assert state["reason"] == f"sha256 expected {SHA256} (registered), got {actual}"
    assert [kind for kind, _ in outbox(app)][-1] == "file.upload_rejected"
    refused = rest.expect(409, "GET", "/files/F/download")
    assert "Retry-After" not in refused.headers
    assert refused.json()["message"] == (
        f"file 'F' has no completed upload to download: its upload was rejected by validation: {state['reason']}"
    )
    assert (
        rest.expect(404, "GET", f"{DRS}/objects/F")
        .json()["msg"]
        .startswith("DRS object 'F' is not available: its upload was rejected by validation: sha256 expected")
    )


def test_a_deleted_object_is_rejected_as_missing(app, rest):
    upload = uploaded(rest, "F")
    stored_object(app, upload["upload_id"]).unlink()

    assert validate_once(app) == {"rejected": 1}

    reason = upload_state(rest, upload["upload_id"])["reason"]
    assert reason.startswith("object missing: the store holds nothing under F/")


def test_a_shortened_object_is_rejected_by_its_size_without_reading_it(app, rest):
    upload = uploaded(rest, "F")
    path = stored_object(app, upload["upload_id"])
    path.write_bytes(DATA[:-1])

    assert validate_once(app) == {"rejected": 1}

    reason = upload_state(rest, upload["upload_id"])["reason"]
    assert reason == f"size expected {len(DATA)} bytes, got {len(DATA) - 1}"


def test_without_a_registered_sha256_the_clients_claim_is_checked_and_becomes_the_files(app, rest):
    rest.expect(201, "PUT", "/files/F", json={"size": len(DATA)})
    upload = rest.start("F")
    parts = rest.put_parts(upload["upload_id"], CHUNKS)
    assert rest.complete(upload["upload_id"], parts, sha256=SHA256).status_code == 204

    assert validate_once(app) == {"accepted": 1}
    assert rest.expect(200, "GET", "/files/F").json()["sha256"] == SHA256

    rest.expect(201, "PUT", "/files/G", json={"size": len(DATA)})
    other = rest.start("G")
    parts = rest.put_parts(other["upload_id"], CHUNKS)
    claimed = "0" * 64
    assert rest.complete(other["upload_id"], parts, sha256=claimed).status_code == 204

    assert validate_once(app) == {"rejected": 1}
    assert upload_state(rest, other["upload_id"])["reason"] == (
        f"sha256 expected {claimed} (claimed by the client), got {SHA256}"
    )
    assert rest.expect(200, "GET", "/files/G").json()["sha256"] is None


def test_an_object_replaced_after_acceptance_is_a_fixity_failure_on_recheck(app, rest):
    upload = uploaded(rest, "F")
    assert validate_once(app) == {"accepted": 1}
    # Checked just now: a re-check of objects older than an hour finds nothing to do.
    assert validate_once(app, recheck_age=3600) == {}
    assert validate_once(app, recheck_age=0) == {"intact": 1}
    failures_before = metrics.FIXITY_FAILURES._value.get()

    path = stored_object(app, upload["upload_id"])
    replacement = b"z" * len(DATA)
    path.write_bytes(replacement)
    assert validate_once(app, recheck_age=0) == {"changed": 1}

    state = upload_state(rest, upload["upload_id"])
    reason = (
        f"sha256 expected {SHA256} (recorded at acceptance), got {hashlib.sha256(replacement).hexdigest()}"
    )
    assert state["status"] == "accepted"
    assert state["fixity_reason"] == reason and state["fixity_failed_at"] is not None
    assert metrics.FIXITY_FAILURES._value.get() == failures_before + 1
    kind, payload = outbox(app)[-1]
    assert kind == "file.fixity_failed"
    assert payload["reason"] == reason and payload["checked_by"] == "validator-1"
    # No longer served, by either route, saying why.
    message = rest.expect(409, "GET", "/files/F/download").json()["message"]
    assert "failed a fixity check at" in message and message.endswith(reason)
    assert rest.expect(404, "GET", f"{DRS}/objects/F/access/https").json()["msg"].endswith(reason)
    # A failure stays recorded: re-checks leave the object alone.
    assert validate_once(app, recheck_age=0) == {}


def test_the_setting_that_serves_uploaded_files_serves_them_before_the_verdict(app, rest):
    app.config["ACCEPTED_ONLY"] = False
    uploaded(rest, "F")
    assert rest.expect(200, "GET", "/files/F/download").json()["sha256"] == SHA256
    assert rest.expect(200, "GET", f"{DRS}/objects/F").json()["id"] == "F"

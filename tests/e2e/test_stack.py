"""The deployment recipe's topology as real processes: `ucs serve` with 4 workers on PostgreSQL and
SeaweedFS, the relay and the consumer on RabbitMQ; uploads with upload-client, a validation event; then
/metrics of each process must tell what happened, and no log line may hold a secret.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.support.client_runs import MiB, make_file, register, run_client, wait_until
from tests.support.databases import postgres_database
from tests.support.metrics import fetch, scrape, total, value
from tests.support.rabbitmq import AMQP_URL, broker, consumer_count  # noqa: F401 - fixture
from tests.support.rest import Rest, upload_path
from tests.support.s3_fixtures import seaweedfs  # noqa: F401 - fixture
from tests.support.ucs_server import ucs_events, ucs_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.rabbitmq, pytest.mark.seaweedfs]

PART_SIZE = 5 * MiB  # S3's smallest part
SIZES = {"stack-a.cram": 2 * PART_SIZE + 4099, "stack-b.cram": PART_SIZE + 1, "stack-c.cram": 3000}


def test_metrics_of_every_process_add_up_to_what_happened(seaweedfs, broker, tmp_path):  # noqa: F811
    settings = {**seaweedfs.bucket_settings(), **broker.settings(), "PART_SIZE": PART_SIZE}
    with postgres_database(str(tmp_path / "migrate")) as database_url:
        settings["DATABASE_URL"] = database_url
        with (
            ucs_server(tmp_path / "ucs", serve_workers=4, **settings) as ucs,
            ucs_events(tmp_path / "relay", "relay", **settings) as relay,
            ucs_events(tmp_path / "consumer", "consume", **settings) as consumer,
        ):
            rest = Rest(ucs.url)
            for file_id, size in SIZES.items():
                path = make_file(tmp_path / file_id, size, seed=size)
                register(ucs.url, file_id, path)
                uploaded = run_client(
                    "upload", "--file-id", file_id, "--api-url", ucs.url, "--file-path", str(path)
                )
                assert uploaded.returncode == 0, uploaded.stderr

            validated = accept(rest, broker, "stack-a.cram")
            wait_until(
                lambda: value(scrape(ucs.url), "ucs_outbox_pending_events") == 0, what="an empty outbox"
            )
            web, again = scrape(ucs.url), scrape(ucs.url)
            events_out, events_in = scrape(relay.url), scrape(consumer.url)
            unreadable_accept = fetch(relay.url, accept="text/plain; version=abc")
        logs = {
            name: p.log.read_text() for name, p in [("ucs", ucs), ("relay", relay), ("consumer", consumer)]
        }

    # Whichever worker answers a scrape, it reports the numbers of all of them.
    uploads = {s: value(web, "ucs_uploads_total", status=s) for s in ("pending", "uploaded", "failed")}
    assert uploads == {s: value(again, "ucs_uploads_total", status=s) for s in uploads}
    assert uploads == {"pending": 3, "uploaded": 3, "failed": 0}
    assert value(web, "ucs_uploaded_bytes_total") == sum(SIZES.values())
    assert (
        value(web, "ucs_http_requests_total", method="PUT", route="/files/<path:file_id>", status="201") == 3
    )
    started = {"method": "POST", "route": "/files/<path:file_id>/multipart_uploads", "status": "201"}
    assert value(web, "ucs_http_requests_total", **started) == 3
    completed = {"method": "PATCH", "route": "/multipart_uploads/<path:upload_id>", "status": "204"}
    assert value(web, "ucs_http_requests_total", **completed) == 3
    store = {"backend": "s3", "operation": "complete_multipart_upload"}
    assert value(web, "ucs_storage_request_duration_seconds_count", **store) == 3
    assert total(web, "ucs_storage_errors_total") == 0
    assert value(web, "ucs_outbox_oldest_pending_seconds") == 0

    # Every request was logged once, by one of several workers, and counted once: the last scrape
    # counts all requests before it.
    requests_logged = [
        json.loads(line) for line in logs["ucs"].splitlines() if '"logger":"ucs.requests"' in line
    ]
    assert total(again, "ucs_http_requests_total") == len(requests_logged) - 1
    assert len({line["pid"] for line in requests_logged}) >= 2, "one worker served every request"

    assert value(events_out, "ucs_events_published_total", type="file.upload_received") == 3
    assert unreadable_accept.status_code == 200 and "ucs_events_published_total" in unreadable_accept.text
    applied = {"type": "file.upload_validated", "outcome": "applied"}
    assert value(events_in, "ucs_events_consumed_total", **applied) == 1
    assert value(events_in, "ucs_uploads_total", status="accepted") == 1
    assert validated["status"] == "accepted"

    # No secret in any line of any process: store credentials, SigV4 signatures, the broker's password.
    secrets = [seaweedfs.secret_key, seaweedfs.access_key, AMQP_URL.split("@")[0] + "@"]
    for name, text in logs.items():
        assert not [secret for secret in secrets if secret in text], name
        assert not re.search(r"X-Amz-Signature=[0-9a-f]{16}", text), name


def accept(rest: Rest, broker, file_id: str) -> dict:  # noqa: F811
    """What the archive's validator does: publish file.upload_validated, then UCS shows the verdict."""
    [upload] = rest.expect(200, "GET", f"/files/{file_id}/multipart_uploads").json()
    event = {
        "event_id": str(uuid.uuid4()),
        "type": "file.upload_validated",
        "payload": {"upload_id": upload["upload_id"], "outcome": "accepted"},
    }
    wait_until(lambda: consumer_count(broker.queue) > 0, what="the consumer reading its queue")
    broker.publish("file.upload_validated", event)

    def verdict():
        answer = rest.expect(200, "GET", upload_path(upload["upload_id"])).json()
        return answer if answer["status"] == "accepted" else None

    return wait_until(verdict, what="the upload accepted")

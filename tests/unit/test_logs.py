"""Log lines: JSON and text carry the same fields, a request's id reaches every line, secrets never do."""

import json
import logging

import pytest
from flask import Flask

from tests.support.log_capture import captured_log
from ucs.observability import logs, request_id

log = logging.getLogger("ucs.test")


def test_a_json_line_carries_the_extra_fields_and_the_exception():
    with captured_log("json") as captured:
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("it failed", extra={"upload_id": "u-1", "status": 503})
    [line] = captured.lines()
    record = json.loads(line)
    assert record["message"] == "it failed"
    assert (record["level"], record["logger"], record["upload_id"], record["status"]) == (
        "ERROR",
        "ucs.test",
        "u-1",
        503,
    )
    assert record["time"].endswith("+00:00") and isinstance(record["pid"], int)
    assert "ValueError: boom" in record["exception"]


def test_a_text_line_has_the_same_fields_and_quotes_what_could_pass_for_another_field():
    with captured_log("text") as captured:
        log.info("done", extra={"route": "/files/<path:file_id>", "file_id": "a b=c"})
    [line] = captured.lines()
    assert " INFO ucs.test: done route=/files/<path:file_id> " in line
    assert 'file_id="a b=c"' in line


def test_a_text_line_break_in_a_message_cannot_forge_another_line():
    with captured_log("text") as captured:
        log.warning("dead-lettering: bad id %s", "x\n2026-01-01T00:00:00.000+00:00 INFO ucs.requests: forged")
    assert len(captured.lines()) == 1


def test_every_line_of_a_request_carries_its_id_and_only_a_sane_incoming_one_is_kept():
    app = Flask("t")
    with captured_log() as captured:
        with app.test_request_context(headers={request_id.HEADER: "trace-7f3a.b:c"}):
            log.info("inside")
        with app.test_request_context(headers={request_id.HEADER: "bad id; drop table"}):
            log.info("forged")
            made = request_id.current()
        log.info("outside")
    inside, forged, outside = captured.records()
    assert inside["request_id"] == "trace-7f3a.b:c"
    assert forged["request_id"] == made and len(made) == 32 and made != "bad id; drop table"
    assert "request_id" not in outside


SIGNED_URLS = [
    "https://s3.example.org/b/k?uploadId=u&partNumber=1&X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z"
    "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "ab12" * 16,
    "http://127.0.0.1:5000/storage/uploads/0123/1?expires=1790000000&signature=" + "cd34" * 16,
    "https://s3.example.org/b/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=c2lnbmF0dXJl%3D&Expires=1790000000",
]


@pytest.mark.parametrize("url", SIGNED_URLS, ids=["sigv4", "filesystem", "sigv2"])
def test_signatures_and_credentials_of_presigned_urls_are_masked(url):
    line = logs.redact(f"GET {url} failed")
    assert "ab12ab12" not in line and "cd34cd34" not in line and "c2lnbmF0dXJl" not in line
    assert "AKIDEXAMPLE" not in line
    assert "[redacted]" in line and line.startswith(f"GET {url.split('?')[0]}?")


def test_tokens_url_passwords_and_secret_settings_are_masked():
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWl0"
    logs.register_secrets(["s3cr3t-value-1234", None, "abc"])
    line = logs.redact(
        f"Authorization: Bearer opaque-token-42 and {jwt} at amqp://ucs:pa55word@mq/ and "
        "key s3cr3t-value-1234, abc"
    )
    for secret in ("opaque-token-42", jwt, "pa55word", "s3cr3t-value-1234"):
        assert secret not in line
    assert "amqp://ucs:[redacted]@mq/" in line
    assert line.endswith("abc")  # too short to be masked: it would mask ordinary words


def test_a_secret_in_an_exception_is_masked_too():
    with captured_log("json") as captured:
        try:
            raise RuntimeError("connect to postgresql://ucs:hunter22@db/ucs failed")
        except RuntimeError:
            log.exception("database")
    assert "hunter22" not in captured.lines()[0]

"""UcsClient's reading of answers: UCS's JSON, UCS's errors, and servers that are not UCS."""

from __future__ import annotations

import collections
import http.server
import json
import threading
import time

import pytest
import requests
import urllib3.exceptions

from tests.support.answers import answer
from upload_client.api import UcsClient
from upload_client.config import TransferConfig
from upload_client.exceptions import ApiError, NotUcs, UcsUnreachable
from upload_client.http import describe_connection_error, path_segment


@pytest.fixture
def api():
    return UcsClient("http://ucs.example/api/")


def test_base_url_loses_its_trailing_slash(api):
    assert api.base_url == "http://ucs.example/api"


def test_upload_ids_are_percent_encoded_whole():
    assert path_segment("2~abc/def+g==") == "2~abc%2Fdef%2Bg%3D%3D"


def test_json_answers_are_returned(api):
    assert api.rest.answer("GET", "/files/f", answer(200, {"file_id": "f"})) == {"file_id": "f"}
    assert api.rest.answer("PATCH", "/multipart_uploads/u", answer(204, b"")) is None


def test_ucs_errors_keep_ucs_message_on_one_line(api):
    body = {"code": 409, "status": "Conflict", "message": "upload u is\n canceled, not pending"}
    with pytest.raises(ApiError, match="^upload u is canceled, not pending$") as raised:
        api.rest.answer("GET", "/multipart_uploads/u/parts", answer(409, body))
    assert raised.value.status == 409


@pytest.mark.parametrize(
    "response",
    [
        answer(404, b"<html>Not Found</html>", "text/html"),
        answer(200, b"<html>welcome</html>", "text/html"),
        answer(403, {"error": "forbidden"}),
    ],
)
def test_answers_not_shaped_like_ucs_mean_the_url_is_wrong(api, response):
    with pytest.raises(NotUcs, match="does not answer like UCS.*check --api-url"):
        api.rest.answer("GET", "/files/f", response)


def test_connection_errors_are_described_by_their_cause():
    error = requests.ConnectionError(
        "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /files/x (Caused by "
        "NewConnectionError('<urllib3.connection.HTTPConnection object>: Failed to establish a new "
        "connection: [Errno 111] Connection refused'))"
    )
    assert describe_connection_error(error) == "Connection refused"
    assert describe_connection_error(requests.ReadTimeout("x")) == "timed out"
    # After urllib3's retries a read timeout arrives as a ConnectionError wrapping MaxRetryError.
    read_timeout = urllib3.exceptions.ReadTimeoutError(None, "/files/f", "Read timed out.")
    retried = requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/files/f", read_timeout))
    assert describe_connection_error(retried) == "timed out"
    refused = urllib3.exceptions.NewConnectionError(None, "[Errno 111] Connection refused")
    retried = requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/files/f", refused))
    assert describe_connection_error(retried) == "Connection refused"


class StubSession:
    def __init__(self, response):
        self.response = response

    def request(self, method, url, **kwargs):
        return self.response


def test_json_without_the_fields_ucs_always_sends_is_not_ucs(api, monkeypatch):
    monkeypatch.setattr(api.rest.sessions, "get", lambda: StubSession(answer(200, {"id": 1, "name": "x"})))
    with pytest.raises(NotUcs, match="GET /files/f gave 200 application/json"):
        api.get_file("f")
    with pytest.raises(NotUcs):
        api.download_info("f")


def test_connection_failures_become_ucs_unreachable(api, monkeypatch):
    class Refusing:
        def request(self, method, url, **kwargs):
            raise requests.ConnectionError("[Errno 111] Connection refused")

    monkeypatch.setattr(api.rest.sessions, "get", lambda: Refusing())
    with pytest.raises(
        UcsUnreachable, match="^cannot reach UCS at http://ucs.example/api: Connection refused$"
    ):
        api.pending_upload("f")


class SlowUcs(http.server.BaseHTTPRequestHandler):
    """Answers every call like UCS, after half a second; counts the requests by method."""

    calls: collections.Counter = collections.Counter()

    def answer(self):
        SlowUcs.calls[self.command] += 1
        time.sleep(0.5)
        body = json.dumps({"file_id": "f"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PATCH = answer

    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the client hanging up on a slow answer is what the test wants


@pytest.fixture
def slow_ucs():
    server = QuietServer(("127.0.0.1", 0), SlowUcs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def calls(retries: int, read_timeout: float, completion_timeout: float) -> TransferConfig:
    """A config whose calls to UCS connect within 2 s and wait read_timeout for an answer."""
    return TransferConfig(
        api_retries=retries,
        api_connect_timeout=2,
        api_read_timeout=read_timeout,
        completion_timeout=completion_timeout,
    )


def test_completing_waits_longer_than_other_calls(slow_ucs):
    # The store joins every part before UCS answers a completion: minutes for a TiB object.
    api = UcsClient(slow_ucs, calls(retries=1, read_timeout=0.2, completion_timeout=5))
    with pytest.raises(UcsUnreachable, match="^UCS at .* did not answer GET /files/f within 0.2 s$"):
        api.get_file("f")
    api.complete("u", {1: '"etag"'}, "0" * 64)  # answered after 0.5 s: no timeout


def test_a_completion_that_times_out_is_not_sent_again(slow_ucs):
    """It may still be assembling the object: a second PATCH would only queue a second assembly."""
    SlowUcs.calls.clear()
    api = UcsClient(slow_ucs, calls(retries=4, read_timeout=0.1, completion_timeout=0.2))
    with pytest.raises(UcsUnreachable, match="did not answer PATCH /multipart_uploads/u within 0.2 s"):
        api.complete("u", {1: '"etag"'}, "0" * 64)
    assert SlowUcs.calls["PATCH"] == 1
    with pytest.raises(UcsUnreachable):
        api.get_file("f")  # other calls still retry their timeouts
    assert SlowUcs.calls["GET"] == 5


class PlainHttp(SlowUcs):
    """Any answer at all, in plain http: what an https client meets at a development server."""

    def handle(self):
        SlowUcs.calls["handshakes"] += 1  # each a new connection; its request line is the TLS hello
        super().handle()


def test_https_to_a_plain_http_server_says_what_to_pass_and_is_not_retried():
    SlowUcs.calls.clear()
    server = QuietServer(("127.0.0.1", 0), PlainHttp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    netloc = f"127.0.0.1:{server.server_address[1]}"
    try:
        api = UcsClient(
            f"https://{netloc}/ga4gh/drs/v1", calls(retries=4, read_timeout=5, completion_timeout=5)
        )
        with pytest.raises(UcsUnreachable) as refused:
            api.get_file("f")
    finally:
        server.shutdown()
        server.server_close()
    assert str(refused.value) == (
        f"the server at {netloc} speaks plain http, not https (it answered the TLS handshake in plain "
        f"text): pass --api-url http://{netloc}"
    )
    assert refused.value.exit_code == 4
    assert SlowUcs.calls["handshakes"] == 1  # the same server gives the same handshake: no retry

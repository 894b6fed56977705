"""The filesystem store's own HTTP routes, over a real loopback connection to a UCS app."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import time
from urllib.parse import unquote, urlsplit

import pytest
import requests

from tests.support.live_server import filesystem_app, serving
from tests.support.processes import free_port
from ucs.uploads import MAX_PART_SIZE


@pytest.fixture
def live(tmp_path):
    """(backend, base URL) of a UCS app on the filesystem store, served on a free port."""
    port = free_port()
    app = filesystem_app(tmp_path, FILESYSTEM_PUBLIC_URL=f"http://127.0.0.1:{port}")
    with serving(app, port) as url:
        yield app.extensions["ucs.storage"], url


def stored_object(backend, key: str, data: bytes) -> None:
    upload_id = backend.create_multipart_upload(key)
    etag = requests.put(backend.presign_upload_part(key, upload_id, 1, 60).url, data=data, timeout=10)
    backend.complete_multipart_upload(key, upload_id, [(1, etag.headers["ETag"])])


def test_a_part_put_answers_its_quoted_md5_as_etag(live):
    backend, _ = live
    upload_id = backend.create_multipart_upload("file/object")
    response = requests.put(backend.presign_upload_part("file/object", upload_id, 1, 60).url, data=b"abc")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"' + hashlib.md5(b"abc").hexdigest() + '"'


@pytest.mark.parametrize(
    ("header", "status", "expected"),
    [
        ("bytes=0-9", 206, slice(0, 10)),
        ("bytes=990-", 206, slice(990, 1000)),
        ("bytes=-5", 206, slice(995, 1000)),
        (None, 200, slice(0, 1000)),
    ],
)
def test_downloads_answer_ranges_with_206_and_those_bytes(live, header, status, expected):
    backend, _ = live
    data = bytes(range(256)) * 3 + bytes(232)
    stored_object(backend, "file/object", data)
    headers = {"Range": header} if header else {}
    response = requests.get(backend.presign_download("file/object", 60).url, headers=headers, timeout=10)
    assert response.status_code == status
    assert response.content == data[expected]
    assert response.headers["ETag"] == backend.head_object("file/object").etag


def test_a_range_beyond_the_object_is_416_with_the_size_in_content_range(live):
    backend, _ = live
    stored_object(backend, "file/object", b"short")
    url = backend.presign_download("file/object", 60).url
    answer = requests.get(url, headers={"Range": "bytes=100-200"}, timeout=10)
    assert answer.status_code == 416
    assert answer.headers["Content-Range"] == "bytes */5"  # RFC 9110 15.5.17
    assert "message" in answer.json()


@pytest.mark.parametrize(
    "header", ["items=0-1", "bytes=abc", "bytes=-", "bytes=3-1", "bytes=0-1,3-4", "bytes 0-1", "=0-1"]
)
def test_a_range_of_another_unit_or_malformed_is_ignored(live, header):
    """RFC 9110 14.2: a server ignores a Range header it does not understand, and answers the whole object."""
    backend, _ = live
    stored_object(backend, "file/object", b"the whole object")
    url = backend.presign_download("file/object", 60).url
    answer = requests.get(url, headers={"Range": header}, timeout=10)
    assert (answer.status_code, answer.content) == (200, b"the whole object")


def swap(url: str, old: str, new: str) -> str:
    assert old in url
    return url.replace(old, new, 1)


def test_tampered_upload_urls_are_refused_with_403(live):
    backend, _ = live
    upload_id = backend.create_multipart_upload("file/object")
    other_upload = backend.create_multipart_upload("file/object")
    url = backend.presign_upload_part("file/object", upload_id, 1, 60).url
    expires = urlsplit(url).query.split("&")[0]
    tampered = [
        swap(url, f"/{upload_id}/1?", f"/{upload_id}/2?"),
        swap(url, upload_id, other_upload),
        swap(url, expires, f"expires={int(expires.split('=')[1]) + 3600}"),
        swap(url, "signature=", "signature=0"),
        url.split("&")[0],
        url.split("?")[0],
    ]
    for bad in tampered:
        response = requests.put(bad, data=b"bytes", timeout=10)
        assert response.status_code == 403, bad
        assert response.json()["message"]
    assert backend.list_parts("file/object", upload_id) == []
    assert backend.list_parts("file/object", other_upload) == []


def test_a_download_url_is_valid_for_its_key_only(live):
    backend, _ = live
    stored_object(backend, "file/one", b"one")
    stored_object(backend, "file/two", b"two")
    url = backend.presign_download("file/one", 60).url
    assert requests.get(swap(url, "file/one", "file/two"), timeout=10).status_code == 403
    assert requests.get(url, timeout=10).content == b"one"


def test_expired_urls_are_refused_with_403(live):
    backend, _ = live
    stored_object(backend, "file/object", b"data")
    upload_id = backend.create_multipart_upload("file/object")
    put = backend.presign_upload_part("file/object", upload_id, 1, 1).url
    get = backend.presign_download("file/object", 1).url
    time.sleep(2.1)
    for response in (requests.put(put, data=b"late", timeout=10), requests.get(get, timeout=10)):
        assert response.status_code == 403
        assert "expired" in response.json()["message"]


def test_a_part_for_a_finished_upload_is_404(live):
    backend, _ = live
    upload_id = backend.create_multipart_upload("file/object")
    url = backend.presign_upload_part("file/object", upload_id, 1, 60).url
    backend.abort_multipart_upload("file/object", upload_id)
    response = requests.put(url, data=b"late", timeout=10)
    assert response.status_code == 404
    assert upload_id in response.json()["message"]


@pytest.mark.parametrize(
    "path", ["../../outside/secret", "a/../../outside/secret", "..%2F..%2Foutside%2Fsecret", "%2e%2e/secret"]
)
def test_a_validly_signed_path_outside_the_root_reads_nothing(tmp_path, path):
    """Even with a signature for it (as if signing were broken), a path out of the root is refused.

    The test client sends the path as written, where an HTTP library would resolve the dots first.
    """
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("not for you")
    app = filesystem_app(tmp_path, FILESYSTEM_PUBLIC_URL="http://ucs.example")
    backend = app.extensions["ucs.storage"]
    query = backend.signer.sign("GET", unquote(path), "", 0, int(time.time()) + 60)
    response = app.test_client().get(f"/storage/objects/{path}?{query}")
    assert response.status_code == 404
    assert response.get_json()["message"].startswith("invalid object key")


def test_a_put_whose_body_ends_early_leaves_no_part(live):
    """The client promises 1,000 bytes, sends 500 and closes its side: the part must not exist."""
    backend, _ = live
    upload_id = backend.create_multipart_upload("file/object")
    url = urlsplit(backend.presign_upload_part("file/object", upload_id, 1, 60).url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
        connection.sendall(
            f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            "Content-Length: 1000\r\nConnection: close\r\n\r\n".encode()
            + b"x" * 500
        )
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert backend.list_parts("file/object", upload_id) == []
    assert [p.name for p in (backend.uploads_dir / upload_id).iterdir()] == ["key"]


def raw_put(url: str, headers: str, body: bytes = b"") -> bytes:
    """Send a PUT as written (requests would fix the headers) and return the status line and headers."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(
            f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n{headers}"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := connection.recv(65536)):
            answer += chunk
    return answer


def test_a_part_announced_larger_than_5_gib_is_refused_with_413_before_its_body(live):
    backend, _ = live
    upload_id = backend.create_multipart_upload("file/object")
    url = backend.presign_upload_part("file/object", upload_id, 1, 60).url
    answer = raw_put(url, f"Content-Length: {MAX_PART_SIZE + 1}\r\n", b"x" * 1000)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert [p.name for p in (backend.uploads_dir / upload_id).iterdir()] == ["key"]


def test_a_part_without_content_length_is_refused_with_411_as_s3_does(live):
    backend, _ = live
    upload_id = backend.create_multipart_upload("file/object")
    url = backend.presign_upload_part("file/object", upload_id, 1, 60).url
    answer = raw_put(url, "Transfer-Encoding: chunked\r\n", b"4\r\ndata\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 411"), answer[:200]
    assert b"Content-Length" in requests.put(url, data=iter([b"data"]), timeout=10).content
    assert [p.name for p in (backend.uploads_dir / upload_id).iterdir()] == ["key"]


@pytest.mark.parametrize("length", ["-1", "abc", "+10", "0x0a", "1e3", "10, 10"])
def test_a_part_with_a_content_length_that_is_no_number_is_400_and_keeps_the_stored_part(live, length):
    """werkzeug reads such a length as 0: the empty part used to replace the stored one, with a 200."""
    backend, _ = live
    upload_id = backend.create_multipart_upload("file/object")
    url = urlsplit(backend.presign_upload_part("file/object", upload_id, 1, 60).url)
    stored = requests.put(url.geturl(), data=b"the part", timeout=10)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("PUT", f"{url.path}?{url.query}", b"x" * 10, {"Content-Length": length})
    answer = connection.getresponse()
    assert answer.status == 400
    assert json.loads(answer.read())["message"] == f"Content-Length {length!r} is not a whole number of bytes"
    connection.close()
    assert backend.list_parts("file/object", upload_id)[0].etag == stored.headers["ETag"]

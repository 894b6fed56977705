"""The StorageBackend contract (ucs/storage.py), checked against every backend over real HTTP.

Parts go to the presigned URLs with requests, as the client sends them. S3 wants at least 5 MiB in every
part but the last, so multi-part objects here are one 5 MiB part and a small last one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

from ucs.storage import (
    ByteStream,
    InvalidParts,
    ListsUploads,
    ObjectNotFound,
    PresignedRequest,
    StorageBackend,
    UploadNotFound,
)
from ucs_plugins.filesystem.assembly import multipart_etag

MiB = 1024 * 1024
EXPIRY = 300


def new_key() -> str:
    return f"contract/{uuid.uuid4().hex}"


def md5_etag(data: bytes) -> str:
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


def send(request: PresignedRequest, data: bytes = b"", **headers) -> requests.Response:
    return requests.request(
        request.method, request.url, data=data, headers={**request.headers, **headers}, timeout=60
    )


def put_part(backend: StorageBackend, key: str, upload_id: str, part_no: int, data: bytes) -> str:
    response = send(backend.presign_upload_part(key, upload_id, part_no, EXPIRY), data)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def uploaded_object(backend: StorageBackend, *parts: bytes) -> tuple[str, str]:
    """Upload parts 1..N and complete them; returns (key, the completed object's ETag)."""
    key = new_key()
    upload_id = backend.create_multipart_upload(key)
    etags = [put_part(backend, key, upload_id, number, data) for number, data in enumerate(parts, 1)]
    return key, backend.complete_multipart_upload(key, upload_id, list(enumerate(etags, 1)))


def test_the_backend_implements_the_protocol(store):
    assert isinstance(store.backend, StorageBackend)
    assert store.backend.name and store.backend.bucket


def test_parts_signed_in_one_batch_are_stored_through_their_urls(store):
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    data = {number: os.urandom(100 + number) for number in (3, 1, 2)}
    signed = backend.presign_upload_parts(key, upload_id, [3, 1, 2], EXPIRY)
    assert len(signed) == 3 and all(request.method == "PUT" for request in signed)
    assert len({request.url for request in signed}) == 3
    for number, request in zip([3, 1, 2], signed, strict=True):
        assert send(request, data[number]).status_code == 200
    listed = {part.part_no: part.etag for part in backend.list_parts(key, upload_id)}
    assert listed == {number: md5_etag(data[number]) for number in (1, 2, 3)}


def test_create_gives_each_upload_its_own_id(store):
    key = new_key()
    first = store.backend.create_multipart_upload(key)
    second = store.backend.create_multipart_upload(key)
    assert first and second and first != second
    assert store.backend.list_parts(key, first) == []


def test_a_part_put_over_http_is_listed_with_its_md5_etag_and_size(store):
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    data = os.urandom(1000)
    request = backend.presign_upload_part(key, upload_id, 1, EXPIRY)
    assert request.method == "PUT"
    assert 0 <= (request.expires_at - datetime.now(UTC)).total_seconds() <= EXPIRY + 1

    etag = put_part(backend, key, upload_id, 1, data)

    assert etag == md5_etag(data)
    [part] = backend.list_parts(key, upload_id)
    assert (part.part_no, part.etag, part.size) == (1, md5_etag(data), 1000)


def test_a_part_sent_again_is_listed_once(store):
    """A client retrying a part sends the same bytes again; the part still counts once."""
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    for _ in range(3):
        put_part(backend, key, upload_id, 1, b"retried part")
    [part] = backend.list_parts(key, upload_id)
    assert (part.part_no, part.etag, part.size) == (1, md5_etag(b"retried part"), 12)


def test_a_part_sent_again_with_other_bytes_replaces_the_first_copy(store):
    if "SeaweedFS" in store.server:
        pytest.skip(
            "SeaweedFS keeps every copy of a re-sent part and lists them in no order with one-second "
            "timestamps; its CompleteMultipartUpload picks the copy by ETag"
        )
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    put_part(backend, key, upload_id, 1, b"first copy")
    put_part(backend, key, upload_id, 1, b"second, longer copy")
    [part] = backend.list_parts(key, upload_id)
    assert (part.etag, part.size) == (md5_etag(b"second, longer copy"), 19)


def test_list_parts_returns_every_page_beyond_1000_parts(store):
    """ListParts answers 1,000 parts a page; the backend follows the pages to the end."""
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    count = 1003
    with requests.Session() as session:
        for number in range(1, count + 1):
            request = backend.presign_upload_part(key, upload_id, number, EXPIRY)
            assert session.put(request.url, data=str(number).encode(), timeout=30).status_code == 200
    parts = backend.list_parts(key, upload_id)
    assert [part.part_no for part in parts] == list(range(1, count + 1))
    assert parts[1001].etag == md5_etag(b"1002")
    backend.abort_multipart_upload(key, upload_id)


def test_complete_assembles_the_parts_in_order(store):
    backend = store.backend
    first, last = os.urandom(5 * MiB), os.urandom(1234)
    key, etag = uploaded_object(backend, first, last)

    expected_etag = multipart_etag([md5_etag(first).strip('"'), md5_etag(last).strip('"')])
    assert etag == expected_etag
    info = backend.head_object(key)
    assert (info.size, info.etag) == (5 * MiB + 1234, expected_etag)
    download = backend.presign_download(key, EXPIRY)
    assert download.method == "GET"
    response = send(download)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).digest() == hashlib.sha256(first + last).digest()


def test_the_download_url_answers_a_range_with_206_and_those_bytes(store):
    data = os.urandom(100_000)
    key, _ = uploaded_object(store.backend, data)
    response = send(store.backend.presign_download(key, EXPIRY), Range="bytes=1000-1999")
    assert response.status_code == 206
    assert response.content == data[1000:2000]
    assert response.headers["Content-Range"] == "bytes 1000-1999/100000"


def test_one_empty_part_completes_an_empty_object(store):
    """Empty files are uploaded as one empty part; S3 accepts it, and so must every backend."""
    key, etag = uploaded_object(store.backend, b"")
    info = store.backend.head_object(key)
    assert (info.size, info.etag) == (0, etag)
    answer = send(store.backend.presign_download(key, EXPIRY))
    assert (answer.status_code, answer.content) == (200, b"")


def test_complete_with_a_wrong_etag_is_refused_and_the_upload_kept(store):
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    put_part(backend, key, upload_id, 1, b"the real part")
    with pytest.raises(InvalidParts):
        backend.complete_multipart_upload(key, upload_id, [(1, md5_etag(b"some other bytes"))])
    assert [part.etag for part in backend.list_parts(key, upload_id)] == [md5_etag(b"the real part")]
    with pytest.raises(ObjectNotFound):
        backend.head_object(key)


def test_complete_listing_a_part_never_stored_is_refused(store):
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    etag_1 = put_part(backend, key, upload_id, 1, os.urandom(5 * MiB))
    etag_3 = put_part(backend, key, upload_id, 3, b"part three")
    # Part 2 is a gap: listing it (with any ETag) must fail.
    with pytest.raises(InvalidParts):
        backend.complete_multipart_upload(key, upload_id, [(1, etag_1), (2, etag_3), (3, etag_3)])
    with pytest.raises(ObjectNotFound):
        backend.head_object(key)


def test_complete_may_skip_part_numbers_as_s3_does(store):
    """Part numbers need not be consecutive in the store (UCS itself refuses gaps before completing)."""
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    first, third = os.urandom(5 * MiB), b"part three"
    etags = [put_part(backend, key, upload_id, 1, first), put_part(backend, key, upload_id, 3, third)]
    backend.complete_multipart_upload(key, upload_id, [(1, etags[0]), (3, etags[1])])
    assert backend.head_object(key).size == len(first) + len(third)


@pytest.mark.parametrize(
    "spelling",
    [str.upper, lambda etag: etag.strip('"'), lambda etag: f" {etag}\t"],
    ids=["upper case", "unquoted", "padded"],
)
def test_complete_takes_an_etag_however_a_client_spells_it(store, spelling):
    """Clients echo ETags in many spellings; every backend compares them as ucs.uploads.normalize_etag does."""
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    etag = put_part(backend, key, upload_id, 1, b"the only part")
    backend.complete_multipart_upload(key, upload_id, [(1, spelling(etag))])
    assert backend.head_object(key).etag == multipart_etag([md5_etag(b"the only part").strip('"')])


def test_complete_with_parts_out_of_order_is_refused(store):
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    etags = [put_part(backend, key, upload_id, n, os.urandom(5 * MiB if n == 1 else 10)) for n in (1, 2)]
    with pytest.raises(InvalidParts):
        backend.complete_multipart_upload(key, upload_id, [(2, etags[1]), (1, etags[0])])


def test_abort_discards_the_upload(store):
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    etag = put_part(backend, key, upload_id, 1, b"soon gone")
    backend.abort_multipart_upload(key, upload_id)
    with pytest.raises(UploadNotFound):
        backend.list_parts(key, upload_id)
    if store.server == "moto server":
        pytest.skip("moto answers CompleteMultipartUpload on an aborted upload with 500, not NoSuchUpload")
    with pytest.raises(UploadNotFound):
        backend.complete_multipart_upload(key, upload_id, [(1, etag)])


def test_unfinished_uploads_are_listed_until_completed_or_aborted(store):
    """The optional listing `ucs uploads cleanup` uses to find uploads nothing will finish."""
    backend = store.backend
    if not isinstance(backend, ListsUploads):
        pytest.skip(f"the {backend.name} backend does not list its uploads (optional)")
    began = datetime.now(UTC)
    unfinished, completed = new_key(), new_key()
    unfinished_id = backend.create_multipart_upload(unfinished)
    completed_id = backend.create_multipart_upload(completed)
    etag = put_part(backend, completed, completed_id, 1, b"done")
    backend.complete_multipart_upload(completed, completed_id, [(1, etag)])

    listed = {upload.upload_id: upload for upload in backend.list_multipart_uploads()}
    assert completed_id not in listed
    assert listed[unfinished_id].key == unfinished
    if store.server != "moto server":  # moto lists every upload as initiated on 2010-11-10
        assert abs(listed[unfinished_id].started - began).total_seconds() < 60
    backend.abort_multipart_upload(unfinished, unfinished_id)
    assert unfinished_id not in {upload.upload_id for upload in backend.list_multipart_uploads()}


def test_unknown_uploads_and_objects_are_reported_as_such(store):
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    backend.abort_multipart_upload(key, upload_id)
    with pytest.raises(UploadNotFound):
        backend.list_parts(key, upload_id)
    with pytest.raises(ObjectNotFound):
        backend.head_object(new_key())


def test_the_store_is_reported_healthy(store):
    store.backend.check()


def tampered(url: str, name: str, value: str) -> str:
    """url with one query parameter (case-insensitively named) replaced."""
    parts = urlsplit(url)
    query = [(k, value if k.lower() == name.lower() else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def signature_parameter(url: str) -> str:
    names = [name for name, _ in parse_qsl(urlsplit(url).query)]
    return next(name for name in names if name.lower() in ("signature", "x-amz-signature"))


def test_a_tampered_url_is_refused_with_403(store):
    if not store.checks_signatures:
        pytest.skip(f"{store.server} does not check signatures")
    backend, key = store.backend, new_key()
    upload_id = backend.create_multipart_upload(key)
    url = backend.presign_upload_part(key, upload_id, 1, EXPIRY).url
    other_signature = tampered(url, signature_parameter(url), "0" * 64)
    other_part = url.replace("partNumber=1", "partNumber=2").replace("/1?", "/2?")
    assert other_part != url
    for bad_url in (other_signature, other_part):
        assert requests.put(bad_url, data=b"bytes", timeout=30).status_code == 403
    assert backend.list_parts(key, upload_id) == []


def test_an_expired_url_is_refused_with_403(store):
    if not store.checks_signatures:
        pytest.skip(f"{store.server} does not check expiry")
    backend = store.backend
    key, _ = uploaded_object(backend, b"an object")
    upload_key = new_key()
    upload_id = backend.create_multipart_upload(upload_key)
    upload = backend.presign_upload_part(upload_key, upload_id, 1, 1)
    download = backend.presign_download(key, 1)
    time.sleep(2.1)
    assert send(upload, b"too late").status_code == 403
    assert send(download).status_code == 403
    assert backend.list_parts(upload_key, upload_id) == []


# --- Reading a byte range of a completed object (read_range) ---


def read(backend: StorageBackend, key: str, start: int, length: int) -> bytes:
    with contextlib.closing(backend.read_range(key, start, length)) as chunks:
        return b"".join(chunks)


def test_read_range_gives_the_first_byte_the_last_byte_and_a_middle_range(store):
    backend = store.backend
    first, last = os.urandom(5 * MiB), os.urandom(1234)
    data = first + last
    key, _ = uploaded_object(backend, first, last)

    assert isinstance(backend.read_range(key, 0, 1), ByteStream)
    assert read(backend, key, 0, 1) == data[:1]
    assert read(backend, key, len(data) - 1, 1) == data[-1:]
    # Across the boundary between the two parts the object was assembled from.
    assert read(backend, key, 5 * MiB - 1000, 3000) == data[5 * MiB - 1000 : 5 * MiB + 2000]
    whole = read(backend, key, 0, len(data))
    assert hashlib.sha256(whole).digest() == hashlib.sha256(data).digest()


def test_a_range_past_the_end_is_cut_at_the_end(store):
    """The short read: a range reaching past the end stops at the end; one starting there yields nothing."""
    data = os.urandom(1000)
    key, _ = uploaded_object(store.backend, data)
    assert read(store.backend, key, 900, 500) == data[900:]
    assert read(store.backend, key, 1000, 10) == b""
    assert read(store.backend, key, 5000, 10) == b""


def test_a_0_byte_object_reads_as_nothing(store):
    key, _ = uploaded_object(store.backend, b"")
    assert read(store.backend, key, 0, 1) == b""
    assert read(store.backend, key, 0, MiB) == b""


def test_reading_a_missing_object_raises_object_not_found(store):
    with pytest.raises(ObjectNotFound):
        read(store.backend, new_key(), 0, 10)


def test_a_range_that_holds_no_byte_is_refused_at_the_call(store):
    key, _ = uploaded_object(store.backend, b"some bytes")
    for start, length in ((0, 0), (-1, 5), (3, -2)):
        with pytest.raises(ValueError, match="at least one byte"):
            store.backend.read_range(key, start, length)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_stream_closed_half_read_gives_its_connection_or_file_back(store):
    """Closing a stream releases what it holds at once, not when it is collected: ten streams closed after
    their first chunk, still referenced, hold no socket or file."""
    backend = store.backend
    key, _ = uploaded_object(backend, os.urandom(5 * MiB))
    read(backend, key, 0, 5 * MiB)  # the backend's connection pool now holds its connection
    before = open_descriptors()
    streams = []
    for _ in range(10):
        stream = backend.read_range(key, 0, 5 * MiB)
        assert len(next(stream)) > 0
        stream.close()
        streams.append(stream)
    assert open_descriptors() <= before + 1
    assert len(read(backend, key, 0, 5 * MiB)) == 5 * MiB  # the store still answers


# --- End of reading a byte range of a completed object ---

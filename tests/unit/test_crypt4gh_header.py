"""Crypt4GH headers (upload_client.crypt4gh.header): made for readers, opened, and refused when broken."""

from __future__ import annotations

import io

import pytest

from upload_client.crypt4gh.errors import HeaderInvalid, NotCrypt4GH, NotForThisKey
from upload_client.crypt4gh.header import (
    Header,
    is_crypt4gh,
    make_header,
    open_header,
    parse_header,
    read_header,
)
from upload_client.crypt4gh.keys import DataKey, SecretKey


def test_every_reader_opens_the_same_data_key_and_no_one_else():
    archive, submitter, stranger = SecretKey.generate(), SecretKey.generate(), SecretKey.generate()
    data_key = DataKey.generate()
    header = parse_header(
        make_header(data_key, [archive.public_key, submitter.public_key, archive.public_key])
    )

    assert len(header.packets) == 2, "a reader named twice gets one packet"
    assert open_header(header, archive) == data_key
    assert open_header(header, submitter) == data_key
    with pytest.raises(
        NotForThisKey, match=f"not for the key {stranger.public_key.fingerprint}: none of its 2"
    ):
        open_header(header, stranger)


def test_the_header_names_its_writer_a_one_off_key_unless_given_one():
    reader, writer = SecretKey.generate(), SecretKey.generate()
    data_key = DataKey.generate()
    one_off = parse_header(make_header(data_key, [reader.public_key])).packets[0]
    written = parse_header(make_header(data_key, [reader.public_key], writer=writer)).packets[0]
    assert written[4:36] == writer.public_key.raw
    assert one_off[4:36] not in (writer.public_key.raw, reader.public_key.raw)
    assert open_header(parse_header(make_header(data_key, [reader.public_key], writer)), reader) == data_key


def test_a_header_is_read_from_a_stream_that_is_left_at_the_first_segment():
    key = SecretKey.generate()
    header_bytes = make_header(DataKey.generate(), [key.public_key])
    stream = io.BytesIO(header_bytes + b"segments")
    header = read_header(stream)
    assert stream.read() == b"segments"
    assert header.size == len(header_bytes) == 124
    assert header.to_bytes() == header_bytes
    assert is_crypt4gh(header_bytes) and not is_crypt4gh(b"\x89PNG\r\n\x1a\n")


def test_a_header_without_readers_is_refused():
    with pytest.raises(ValueError, match="at least one reader"):
        make_header(DataKey.generate(), [])


def _u32(number: int) -> bytes:
    return number.to_bytes(4, "little")


PACKET = parse_header(make_header(DataKey.generate(), [SecretKey.generate().public_key])).packets[0]


@pytest.mark.parametrize(
    ("data", "error", "problem"),
    [
        (b"", NotCrypt4GH, "does not start with the crypt4gh magic"),
        (b"%PDF-1.7 and more", NotCrypt4GH, "does not start with the crypt4gh magic"),
        (b"crypt4gh" + _u32(1), HeaderInvalid, "truncated"),
        (b"crypt4gh" + _u32(2) + _u32(1), HeaderInvalid, "version 2 is not supported"),
        (b"crypt4gh" + _u32(1) + _u32(0), HeaderInvalid, "declares 0 packets"),
        (b"crypt4gh" + _u32(1) + _u32(4_000_000_000), HeaderInvalid, "declares 4000000000 packets"),
        (b"crypt4gh" + _u32(1) + _u32(1) + b"\x01", HeaderInvalid, "truncated in packet 0"),
        (
            b"crypt4gh" + _u32(1) + _u32(1) + _u32(3),
            HeaderInvalid,
            "packet 0 declares an impossible length, 3",
        ),
        (b"crypt4gh" + _u32(1) + _u32(1) + _u32(1 << 30), HeaderInvalid, "impossible length, 1073741824"),
        (
            b"crypt4gh" + _u32(1) + _u32(1) + _u32(len(PACKET) + 4) + PACKET[:-1],
            HeaderInvalid,
            "truncated in packet 0",
        ),
        (Header((PACKET,)).to_bytes() + b"\0", HeaderInvalid, "1 bytes follow the Crypt4GH header"),
    ],
    ids=[
        "empty",
        "pdf",
        "short",
        "version",
        "no packets",
        "too many",
        "short length",
        "tiny",
        "huge",
        "cut",
        "trailing",
    ],
)
def test_a_malformed_header_is_refused_with_its_problem(data, error, problem):
    with pytest.raises(error, match=problem):
        parse_header(data)


def test_a_packet_of_an_unknown_method_is_not_for_the_key():
    key = SecretKey.generate()
    packet = parse_header(make_header(DataKey.generate(), [key.public_key])).packets[0]
    with pytest.raises(NotForThisKey):
        open_header(Header((_u32(1) + packet[4:],)), key)


def test_a_packet_naming_an_unusable_writer_key_is_not_for_the_key():
    key = SecretKey.generate()
    packet = parse_header(make_header(DataKey.generate(), [key.public_key])).packets[0]
    # The all-zero point: an X25519 exchange with it yields zeros, which both libsodium and we refuse.
    with pytest.raises(NotForThisKey):
        open_header(Header((packet[:4] + bytes(32) + packet[36:],)), key)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (_u32(1) + _u32(1) + (7).to_bytes(8, "little"), "has an edit list"),
        (_u32(2) + bytes(36), "packet of unknown type 2"),
        (_u32(0) + _u32(1) + bytes(32), "data encryption method 1 is not supported"),
        (_u32(0) + _u32(0) + bytes(16), "holds 16 bytes of key, not 32"),
        (b"", "holds 0 bytes, too few for any type"),
    ],
    ids=["edit list", "unknown type", "AES", "short key", "empty"],
)
def test_a_packet_that_opens_but_cannot_be_used_is_refused_with_its_problem(payload, problem):
    from upload_client.crypt4gh.header import _seal  # the writer's half, to seal what no honest writer would

    key = SecretKey.generate()
    with pytest.raises(HeaderInvalid, match=problem):
        open_header(Header((_seal(payload, SecretKey.generate(), key.public_key),)), key)


def test_two_different_data_keys_for_one_reader_are_refused():
    key = SecretKey.generate()
    first = parse_header(make_header(DataKey.generate(), [key.public_key])).packets
    second = parse_header(make_header(DataKey.generate(), [key.public_key])).packets
    with pytest.raises(HeaderInvalid, match="more than one data key"):
        open_header(Header(first + second), key)

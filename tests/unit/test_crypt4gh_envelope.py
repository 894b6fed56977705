"""An upload's envelope (upload_client.crypt4gh.envelope): new ones, and files that are Crypt4GH already."""

from __future__ import annotations

import pytest

from upload_client.crypt4gh.envelope import new_envelope, recognise
from upload_client.crypt4gh.errors import Crypt4GHError, HeaderInvalid, NotForThisKey
from upload_client.crypt4gh.header import make_header, open_header, parse_header
from upload_client.crypt4gh.keys import DataKey, SecretKey
from upload_client.crypt4gh.segments import SegmentCipher


def test_each_envelope_has_a_fresh_data_key_for_the_archive_alone():
    archive, stranger = SecretKey.generate(), SecretKey.generate()
    first, second = new_envelope(archive.public_key), new_envelope(archive.public_key)

    assert first.data_key != second.data_key
    assert open_header(parse_header(first.header), archive) == first.data_key
    with pytest.raises(NotForThisKey):
        open_header(parse_header(first.header), stranger)


def test_an_envelope_with_the_submitters_key_is_written_with_it_and_opens_for_it():
    archive, submitter = SecretKey.generate(), SecretKey.generate()
    envelope = new_envelope(archive.public_key, submitter)
    header = parse_header(envelope.header)

    assert open_header(header, submitter) == open_header(header, archive) == envelope.data_key
    assert {packet[4:36] for packet in header.packets} == {submitter.public_key.raw}


def test_a_crypt4gh_file_is_split_into_its_header_and_segments(tmp_path):
    data_key = DataKey.generate()
    header = make_header(data_key, [SecretKey.generate().public_key])
    segments = SegmentCipher(data_key).encrypt(b"x" * 70_000)
    (tmp_path / "f.c4gh").write_bytes(header + segments)

    found = recognise(tmp_path / "f.c4gh")

    assert found.header == header and found.segments_offset == len(header)
    assert (found.ciphertext_size, found.plaintext_size) == (len(segments), 70_000)


@pytest.mark.parametrize("content", [b"", b"ACGT" * 100, b"crypt4g"], ids=["empty", "plain", "almost magic"])
def test_any_other_file_is_not_crypt4gh(tmp_path, content):
    (tmp_path / "plain").write_bytes(content)
    assert recognise(tmp_path / "plain") is None


def test_a_file_with_the_magic_and_a_broken_header_is_an_error_not_plaintext(tmp_path):
    (tmp_path / "f.c4gh").write_bytes(b"crypt4gh" + (9).to_bytes(4, "little") + bytes(100))
    with pytest.raises(HeaderInvalid, match="version 9"):
        recognise(tmp_path / "f.c4gh")


def test_a_file_whose_segments_cannot_be_whole_is_an_error(tmp_path):
    header = make_header(DataKey.generate(), [SecretKey.generate().public_key])
    (tmp_path / "f.c4gh").write_bytes(header + bytes(20))
    with pytest.raises(Crypt4GHError, match="20 bytes cannot be Crypt4GH segments"):
        recognise(tmp_path / "f.c4gh")

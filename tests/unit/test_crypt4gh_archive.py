"""The archive's keys (ucs.crypt4gh.archive): headers opened, written for readers, rotated."""

from __future__ import annotations

import pytest

from ucs.crypt4gh.archive import ArchiveKeys
from upload_client.crypt4gh.errors import NotForThisKey, WrongPassphrase
from upload_client.crypt4gh.header import make_header, open_header, parse_header
from upload_client.crypt4gh.key_files import write_secret_key
from upload_client.crypt4gh.keys import DataKey, SecretKey


@pytest.fixture
def archive():
    return ArchiveKeys(SecretKey.generate())


def test_the_archive_opens_a_header_written_for_its_public_key(archive):
    data_key = DataKey.generate()
    submitter = SecretKey.generate()
    assert archive.data_key(make_header(data_key, [submitter.public_key, archive.public_key])) == data_key


def test_a_header_for_another_key_is_refused_with_a_message_that_says_so(archive):
    header = make_header(DataKey.generate(), [SecretKey.generate().public_key])
    with pytest.raises(
        NotForThisKey, match=f"not for the archive's key \\(public key {archive.public_key.fingerprint}\\)"
    ):
        archive.data_key(header)


def test_a_readers_header_gives_the_same_data_key_to_the_reader_alone(archive):
    data_key, reader, submitter = DataKey.generate(), SecretKey.generate(), SecretKey.generate()
    stored = make_header(data_key, [archive.public_key, submitter.public_key])

    for_reader = parse_header(archive.header_for(stored, [reader.public_key]))

    assert open_header(for_reader, reader) == data_key
    assert len(for_reader.packets) == 1, "the submitter's packet is not passed on"
    assert for_reader.packets[0][4:36] == archive.public_key.raw, "written with the archive's key"
    with pytest.raises(NotForThisKey):
        open_header(for_reader, submitter)


def test_rotation_rewrites_headers_of_the_previous_key_and_leaves_current_ones(archive):
    data_key, submitter = DataKey.generate(), SecretKey.generate()
    old = archive.current
    rotated_keys = ArchiveKeys(SecretKey.generate(), previous=(old,))
    stored = make_header(data_key, [old.public_key, submitter.public_key])

    assert rotated_keys.data_key(stored) == data_key, "until rewritten, an old header still opens"
    rewritten = rotated_keys.rotated(stored)
    assert rewritten is not None
    assert open_header(parse_header(rewritten), rotated_keys.current) == data_key
    assert open_header(parse_header(rewritten), submitter) == data_key, "the submitter's packet is kept"
    with pytest.raises(NotForThisKey):
        open_header(parse_header(rewritten), old)
    assert rotated_keys.rotated(rewritten) is None, "a rewritten header is left as it is"
    assert ArchiveKeys(rotated_keys.current).data_key(rewritten) == data_key


def test_a_readers_header_is_written_with_the_current_key_during_a_rotation(archive):
    data_key, reader = DataKey.generate(), SecretKey.generate()
    rotated_keys = ArchiveKeys(SecretKey.generate(), previous=(archive.current,))

    for_reader = parse_header(
        rotated_keys.header_for(make_header(data_key, [archive.public_key]), [reader.public_key])
    )

    assert open_header(for_reader, reader) == data_key
    assert for_reader.packets[0][4:36] == rotated_keys.public_key.raw


def test_keys_load_from_files_and_a_wrong_passphrase_names_the_file(tmp_path):
    current, previous = SecretKey.generate(), SecretKey.generate()
    write_secret_key(tmp_path / "current.sec", current, "pass")
    write_secret_key(tmp_path / "previous.sec", previous, "pass")

    keys = ArchiveKeys.from_files(tmp_path / "current.sec", "pass", previous=[tmp_path / "previous.sec"])

    assert keys.public_key == current.public_key
    assert [key.public_key for key in keys.previous] == [previous.public_key]
    with pytest.raises(WrongPassphrase, match="current.sec"):
        ArchiveKeys.from_files(tmp_path / "current.sec", "wrong")

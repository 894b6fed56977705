"""`ucs files register` and `ucs files show`: the registration of PUT /files/{id}, from the UCS host."""

import hashlib

import pytest

from tests.support.tokens import bearer
from ucs.cli.main import main
from ucs.db.base import db
from ucs.db.models import File
from ucs.operations import registration

SHA256 = hashlib.sha256(b"reads").hexdigest()


def ucs(app, *arguments: str):
    return app.test_cli_runner().invoke(main, list(arguments))


def registered(app) -> dict[str, tuple]:
    with app.app_context():
        return {f.file_id: (f.size, f.sha256) for f in db.session.scalars(db.select(File))}


def test_register_then_show_and_the_api_answers_the_same(app):
    created = ucs(app, "files", "register", "F1", "--size", "20000000", "--sha256", SHA256)
    assert created.exit_code == 0, created.output
    assert created.stdout == f"registered file F1: 20000000 bytes, SHA-256 {SHA256}\n"

    updated = ucs(app, "files", "register", "F1", "--size", "20000001")
    assert updated.stdout == f"updated file F1: 20000001 bytes, SHA-256 {SHA256}\n"

    shown = ucs(app, "files", "show", "F1")
    assert shown.exit_code == 0, shown.output
    lines = dict(line.split(":", 1) for line in shown.stdout.splitlines())
    assert {
        key: value.strip() for key, value in lines.items() if key in ("file_id", "size", "sha256", "upload")
    } == {
        "file_id": "F1",
        "size": "20000001",
        "sha256": SHA256,
        "upload": "none yet",
    }
    answer = app.test_client().get("/files/F1", headers=bearer())
    assert (answer.json["size"], answer.json["sha256"]) == (20000001, SHA256)


def test_a_file_without_size_or_checksum_says_so(app):
    result = ucs(app, "files", "register", "F2")
    assert result.stdout == "registered file F2: size not known, SHA-256 not known\n"


@pytest.mark.parametrize(
    "arguments, problem",
    [
        (["bad/id", "--size", "1"], "invalid file_id: a file_id is 1 to 128 of A-Z a-z 0-9 . _ -"),
        ([".hidden"], "invalid file_id"),
        (["F1", "--size", "-1"], "size must be a whole number of bytes from 0 to 9223372036854775807"),
        (["F1", "--size", str(2**63)], "size must be a whole number of bytes from 0 to"),
        (["F1", "--sha256", SHA256.upper()], "sha256 must be 64 lowercase hexadecimal characters"),
        (["F1", "--sha256", "abc"], "sha256 must be 64 lowercase hexadecimal characters"),
        (["F1", "--size", "ten"], "'ten' is not a valid integer"),
    ],
)
def test_bad_input_is_one_error_line_and_registers_nothing(app, arguments, problem):
    result = ucs(app, "files", "register", *arguments)
    assert result.exit_code == 2
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert problem in error and "Traceback" not in result.output
    assert registered(app) == {}


def test_a_change_under_an_active_upload_is_refused_and_changes_nothing(app):
    with app.app_context():
        registration.register_file("F1", 100, None)
        registration.start_upload(
            app.extensions["ucs.storage"], "F1", None, app.config["PART_SIZE"], "tester"
        )
    result = ucs(app, "files", "register", "F1", "--size", "200")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: file 'F1' has an upload that is pending (")
    assert "its size and checksum cannot change now" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert registered(app) == {"F1": (100, None)}
    shown = ucs(app, "files", "show", "F1")
    assert "(pending)" in shown.stdout


def test_show_of_an_unregistered_file_is_one_line(app):
    result = ucs(app, "files", "show", "nope")
    assert (result.exit_code, result.stderr) == (1, "Error: file 'nope' is not registered\n")

"""`ucs crypt4gh keygen` (ucs.crypt4gh.commands): a key pair, its passphrase, and files never replaced."""

from __future__ import annotations

import stat
from importlib.metadata import entry_points

import pytest
from click.testing import CliRunner

from ucs.crypt4gh.commands import crypt4gh_group
from upload_client.crypt4gh.key_files import read_public_key, read_secret_key

PASSPHRASE = "archive passphrase 42"


@pytest.fixture
def keygen(tmp_path):
    def run(*options: str, env: dict | None = None, input: str | None = None):
        arguments = [
            "keygen",
            "--secret-key",
            str(tmp_path / "a.sec"),
            "--public-key",
            str(tmp_path / "a.pub"),
        ]
        return CliRunner().invoke(crypt4gh_group, [*arguments, *options], env=env, input=input)

    return run


def test_keygen_writes_a_pair_protected_by_the_passphrase_from_the_environment(keygen, tmp_path):
    result = keygen("--passphrase-env", "ARCHIVE_PASSPHRASE", env={"ARCHIVE_PASSPHRASE": PASSPHRASE})

    assert result.exit_code == 0, result.output
    secret = read_secret_key(tmp_path / "a.sec", PASSPHRASE)
    assert read_public_key(tmp_path / "a.pub") == secret.public_key
    assert stat.S_IMODE((tmp_path / "a.sec").stat().st_mode) == 0o600
    assert "protected by its passphrase" in result.output
    assert secret.public_key.fingerprint in result.output
    assert PASSPHRASE not in result.output


def test_keygen_asks_for_the_passphrase_twice_without_echoing_it(keygen, tmp_path):
    result = keygen(input=f"{PASSPHRASE}\n{PASSPHRASE}\n")

    assert result.exit_code == 0, result.output
    assert read_secret_key(tmp_path / "a.sec", PASSPHRASE).public_key == read_public_key(tmp_path / "a.pub")
    assert PASSPHRASE not in result.output


def test_keygen_without_a_passphrase_says_so(keygen, tmp_path):
    result = keygen("--no-passphrase")

    assert result.exit_code == 0, result.output
    assert read_secret_key(tmp_path / "a.sec", None).public_key == read_public_key(tmp_path / "a.pub")
    assert "NOT protected by a passphrase" in result.output


@pytest.mark.parametrize(
    ("options", "env", "problem"),
    [
        (
            ("--passphrase-env", "UNSET_VARIABLE"),
            {"UNSET_VARIABLE": None},
            "UNSET_VARIABLE is not set or empty",
        ),
        (("--passphrase-env", "EMPTY"), {"EMPTY": ""}, "EMPTY is not set or empty"),
        (("--passphrase-env", "P", "--no-passphrase"), {"P": "x"}, "exclude each other"),
    ],
    ids=["unset", "empty", "both"],
)
def test_keygen_refuses_a_passphrase_it_cannot_use_and_writes_nothing(
    keygen, tmp_path, options, env, problem
):
    result = keygen(*options, env=env)

    assert result.exit_code == 2
    assert problem in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("existing", ["a.sec", "a.pub"])
def test_keygen_never_overwrites_a_key_file(keygen, tmp_path, existing):
    (tmp_path / existing).write_text("an older key")

    result = keygen("--no-passphrase")

    assert result.exit_code == 1
    assert f"{tmp_path / existing} exists already; it is not overwritten" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == [existing]
    assert (tmp_path / existing).read_text() == "an older key"


def test_keygen_is_a_ucs_command():
    # The group behind the `ucs` console script, wherever the CLI's modules live.
    (script,) = entry_points(group="console_scripts", name="ucs")
    assert script.load().get_command(None, "crypt4gh") is crypt4gh_group


def test_keygen_leaves_no_secret_key_when_the_public_key_cannot_be_written(keygen, tmp_path, monkeypatch):
    def racing_writer(path, key):  # another process made the file between the check and the write
        raise FileExistsError(path)

    monkeypatch.setattr("ucs.crypt4gh.commands.write_public_key", racing_writer)

    result = keygen("--no-passphrase")

    assert result.exit_code == 1
    assert "a.pub exists already" in result.output
    assert list(tmp_path.iterdir()) == []

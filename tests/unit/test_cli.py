"""The `ucs` command itself: UCS's options only, the operator's `ucs db`, and help that changes nothing."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import subprocess

import click
import pytest
from click.testing import CliRunner

from tests.support.processes import VENV_BIN
from ucs.cli.main import main


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of group, found by walking it: ("events",), ("events", "relay"), ..."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
    return paths


COMMANDS = [(), *command_paths(main)]


def test_the_walk_finds_the_commands_that_have_had_side_effects():
    assert {
        ("events", "relay"),
        ("events", "consume"),
        ("events", "list"),
        ("serve",),
        ("db", "upgrade"),
    } <= set(COMMANDS)


@pytest.fixture
def empty_places(tmp_path, monkeypatch):
    """An empty working directory, an instance directory that does not exist and an empty TMPDIR."""
    cwd, temporary = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    temporary.mkdir()
    for name in [name for name in os.environ if name.startswith("UCS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("UCS_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.chdir(cwd)
    return tmp_path


def assert_untouched(places) -> None:
    assert sorted(path.name for path in places.iterdir()) == ["cwd", "tmp"]  # no instance directory
    assert not list((places / "cwd").iterdir()) and not list((places / "tmp").iterdir())


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(("ucs", *path)))
def test_help_changes_nothing_and_prints_only_the_help(path, empty_places, caplog):
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="ucs")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: {' '.join(('ucs', *path))} [OPTIONS]")
    assert "Options:" in result.stdout and result.stderr == ""
    assert not caplog.records  # no migration, no log line of any level
    assert_untouched(empty_places)


def test_a_fresh_process_shows_help_and_version_only(empty_places):
    for arguments, expected in [
        (["--help"], "Usage: ucs [OPTIONS] COMMAND [ARGS]..."),
        (["--version"], f"ucs {importlib.metadata.version('ucs')}\n"),
        (["events", "relay", "--help"], "Usage: ucs events relay [OPTIONS]"),
    ]:
        run = subprocess.run(
            [str(VENV_BIN / "ucs"), *arguments], capture_output=True, text=True, timeout=120, env=os.environ
        )
        assert run.returncode == 0 and run.stderr == "", run.stderr
        assert run.stdout.startswith(expected)
    assert_untouched(empty_places)


def test_ucs_shows_its_own_options_not_flasks():
    result = CliRunner().invoke(main, ["--help"], prog_name="ucs")
    assert "--version" in result.stdout
    for flask_option in ("--app", "-A,", "--debug", "--env-file", "-e,"):
        assert flask_option not in result.stdout
    refused = CliRunner().invoke(main, ["--app", "elsewhere:app", "run"], prog_name="ucs")
    assert refused.exit_code == 2 and "No such option '--app'" in refused.stderr


def test_ucs_db_offers_the_operators_commands_only():
    db = main.commands["db"]
    assert sorted(db.commands) == ["current", "history", "upgrade"]
    for authoring in ("migrate", "revision", "downgrade", "stamp", "init"):
        result = CliRunner().invoke(main, ["db", authoring], prog_name="ucs")
        assert result.exit_code == 2 and f"No such command '{authoring}'" in result.stderr


def test_the_developers_keep_alembics_authoring_commands_through_flask(empty_places):
    run = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "ucs", "db", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"},
    )
    assert run.returncode == 0, run.stderr
    assert all(name in run.stdout for name in ("revision", "downgrade", "upgrade"))


def test_the_console_script_is_the_group():
    entry = next(
        e
        for e in importlib.metadata.distribution("ucs").entry_points
        if e.group == "console_scripts" and e.name == "ucs"
    )
    assert entry.load() is main

"""The embedded default reaches `accepted`: `ucs run` validates in a thread; and `ucs validate`'s own
refusals, in one line."""

from __future__ import annotations

import subprocess

from tests.support.client_runs import wait_until
from tests.support.drs_calls import CHUNKS, SHA256, uploaded
from tests.support.metrics import scrape, value
from tests.support.processes import VENV_BIN
from tests.support.rest import Rest, upload_path
from tests.support.ucs_server import ucs_server, validate_environment


def test_ucs_run_validates_in_a_thread_and_serves_the_file_once_accepted(tmp_path):
    with ucs_server(tmp_path / "instance", VALIDATION="builtin", VALIDATOR_ID="embedded") as server:
        rest = Rest(server.url)
        upload = uploaded(rest, "F", CHUNKS)

        def verdict():
            state = rest.expect(200, "GET", upload_path(upload["upload_id"])).json()
            return state if state["status"] != "uploaded" else None

        state = wait_until(verdict, what="the verdict of ucs run's validator")
        assert (state["status"], state["validated_by"], state["sha256"]) == ("accepted", "embedded", SHA256)
        assert rest.expect(200, "GET", "/files/F/download").json()["sha256"] == SHA256
        samples = scrape(server.url)
        assert value(samples, "ucs_validations_total", outcome="accepted") == 1
        assert value(samples, "ucs_validation_pending") == 0
    assert "validation: builtin, in this process (2 objects at once)" in server.log.read_text()


def run_validate(tmp_path, *arguments: str, **settings: str) -> subprocess.CompletedProcess:
    env = validate_environment(tmp_path / "instance", **settings)
    return subprocess.run(
        [str(VENV_BIN / "ucs"), "validate", *arguments], env=env, capture_output=True, text=True, timeout=60
    )


def test_ucs_validate_refuses_to_judge_when_validation_is_not_builtin(tmp_path):
    finished = run_validate(tmp_path, "--once", VALIDATION="external")
    assert finished.returncode == 1
    assert finished.stderr.startswith("Error: UCS_VALIDATION is external: UCS does not judge uploads itself")
    assert "Traceback" not in finished.stderr


def test_ucs_validate_refuses_a_duration_it_cannot_read(tmp_path):
    finished = run_validate(tmp_path, "--recheck", "--older-than", "a month")
    assert finished.returncode == 2
    assert (
        "'a month' is not a duration: write a number with s, m, h or d, such as 30d or 12h" in finished.stderr
    )


def test_ucs_validate_once_with_nothing_to_do_says_so(tmp_path):
    finished = run_validate(tmp_path, "--once", VALIDATOR_ID="idle")
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines()[-1] == "validator idle stopped: nothing to check"

"""Validation under faults, with `ucs validate` processes on PostgreSQL and an S3 store (moto) behind the
fault proxy: a validator killed mid-object, two validators sharing the work, the store going away."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter

import pytest

from tests.support.apps import build_app
from tests.support.client_runs import wait_until
from tests.support.databases import empty_tables
from tests.support.metrics import scrape, value
from tests.support.processes import VENV_BIN
from tests.support.rest import outbox
from tests.support.s3_fixtures import *  # noqa: F403 - the moto fixtures
from tests.support.tokens import staff_client
from tests.support.ucs_server import ucs_validate, validate_environment
from tests.support.validation import upload_row, upload_through_api
from ucs.db.base import db

pytestmark = pytest.mark.postgres

MiB = 1024 * 1024


@pytest.fixture
def settings(moto, moto_bucket, postgres_url):  # noqa: F405
    """The test's app: PostgreSQL and the s3 backend on a fresh moto bucket; short leases and waits, so that
    validators with these settings move on quickly."""
    return {
        **moto.settings(moto_bucket),
        "DATABASE_URL": postgres_url,
        "VALIDATION": "builtin",
        "PART_SIZE": 16 * MiB,
        "VALIDATION_LEASE": 2,
        "VALIDATION_POLL_INTERVAL": 0.2,
        "VALIDATION_RETRY_DELAY": 0.2,
        "VALIDATION_RETRY_MAX_DELAY": 1,
    }


@pytest.fixture
def app(tmp_path, settings):
    app = build_app(tmp_path / "instance", **settings)
    empty_tables(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def validator_settings(settings, moto, proxy):  # noqa: F405
    """A validator's: the test app's, but reaching the store through the fault proxy (faults off)."""
    proxy.reset()
    proxy.forward_to(int(moto.endpoint_url.rsplit(":", 1)[1]))
    return {**settings, "S3_ENDPOINT_URL": proxy.url}


def as_environment(settings: dict, validator_id: str) -> dict[str, str]:
    """settings as a validator's UCS_* variables (without the prefix), with its id."""
    env = {
        key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in settings.items()
    }
    return {**env, "VALIDATOR_ID": validator_id}


def verdicts(app) -> Counter:
    """How many verdict events each upload got."""
    return Counter(
        p["upload_id"] for kind, p in outbox(app) if kind in ("file.upload_accepted", "file.upload_rejected")
    )


def test_a_validator_killed_mid_object_is_taken_over_once_its_lease_runs_out(
    app, validator_settings, proxy, tmp_path
):
    upload_id = upload_through_api(staff_client(app), "big.bam", os.urandom(8 * MiB))
    proxy.download_rate_limit = 256 * 1024  # 32 s to read it: the validator is surely mid-object
    with ucs_validate(tmp_path / "a", **as_environment(validator_settings, "doomed")) as doomed:
        wait_until(
            lambda: upload_row(app, upload_id).validation_lease_owner, what="the first validator's claim"
        )
        os.killpg(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait()
    assert upload_row(app, upload_id).validation_lease_owner == "doomed#0"
    assert upload_row(app, upload_id).upload_status.value == "uploaded"

    proxy.download_rate_limit = None
    # --once waits for the dead validator's lease to run out, then takes the object over.
    finished = subprocess.run(
        [str(VENV_BIN / "ucs"), "validate", "--once"],
        env={
            **os.environ,
            **validate_environment(tmp_path / "b", **as_environment(validator_settings, "heir")),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert "validator heir stopped: 1 accepted" in finished.stdout
    row = upload_row(app, upload_id)
    assert (row.upload_status.value, row.validated_by, row.validation_lease_owner) == (
        "accepted",
        "heir",
        None,
    )
    assert verdicts(app) == {upload_id: 1}


def test_two_validators_on_postgresql_judge_every_object_exactly_once(app, validator_settings, tmp_path):
    client = staff_client(app)
    uploads = [upload_through_api(client, f"file-{n}", os.urandom(64 * 1024 + n)) for n in range(16)]
    command = [str(VENV_BIN / "ucs"), "validate", "--once", "--concurrency", "3"]
    runs = [
        subprocess.Popen(
            command,
            env={
                **os.environ,
                **validate_environment(tmp_path / name, **as_environment(validator_settings, name)),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("one", "two")
    ]
    outputs = [run.communicate(timeout=180)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    assert verdicts(app) == dict.fromkeys(uploads, 1)
    rows = [upload_row(app, upload_id) for upload_id in uploads]
    assert {row.upload_status.value for row in rows} == {"accepted"}
    judged_by = Counter(row.validated_by for row in rows)
    assert set(judged_by) <= {"one", "two"} and sum(judged_by.values()) == len(uploads)


@pytest.mark.parametrize("outage", ["503", "reset"])
def test_a_store_outage_leaves_the_upload_uploaded_until_the_store_is_back(
    app, validator_settings, proxy, tmp_path, outage
):
    # The validator starts while the store is up (UCS checks the bucket at start), then the store goes down.
    with ucs_validate(tmp_path / "v", **as_environment(validator_settings, "patient")) as validator:
        proxy.outage = outage
        upload_id = upload_through_api(staff_client(app), "during-outage.bam", os.urandom(MiB))
        wait_until(
            lambda: value(scrape(validator.url), "ucs_validations_total", outcome="unavailable") >= 2,
            timeout=120,
            what="two attempts during the outage",
        )
        row = upload_row(app, upload_id)
        assert row.upload_status.value == "uploaded" and row.validation_attempts >= 2
        assert value(scrape(validator.url), "ucs_validation_pending") == 1
        proxy.outage = None
        wait_until(
            lambda: upload_row(app, upload_id).upload_status.value == "accepted", timeout=120, what="accepted"
        )
        assert value(scrape(validator.url), "ucs_validations_total", outcome="accepted") == 1
    log = validator.log.read_text()
    assert f"cannot read upload {upload_id} of file 'during-outage.bam' (attempt 1)" in log
    assert "WARNING" in log
    assert verdicts(app) == {upload_id: 1}
